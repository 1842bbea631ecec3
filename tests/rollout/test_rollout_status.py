"""``status``: parsing InferenceServices as KServe writes them, and clear cluster errors."""

from __future__ import annotations

import io

import pytest

from rollout.cli import main
from rollout.status import parse
from rollout_objects import (
    CHALLENGER_URI,
    CHAMPION_URI,
    NAME,
    NS,
    R1,
    R2,
    api_groups,
    isvc_path,
    revision,
    revision_path,
    status_body,
)
from support import failure_line


def test_parse_reads_canary_split_tags_and_revision_pointers(objects):
    st = parse(objects.isvc(canary=20))
    assert (st.ready, st.canary_percent, st.latest_percent()) == ("True", 20, 20)
    assert [(t.revision, t.percent, t.tag) for t in st.traffic] == [
        (R2, 20, "latest"),
        (R1, 80, "prev"),
    ]
    assert st.traffic[1].url == f"http://prev-{NAME}-predictor-{NS}.example.com"
    assert (st.latest_created, st.latest_ready, st.latest_rolledout) == (R2, R2, R1)
    assert st.spec_storage_uri == CHALLENGER_URI
    assert st.not_ready() == []


def test_parse_reports_reasons_when_challenger_revision_failed(objects):
    st = parse(objects.failed_canary())
    assert st.ready == "False"
    assert st.latest_created == R2 and st.latest_ready == R1
    assert {t.revision for t in st.traffic} == {R1}  # Knative keeps serving the last ready one
    assert st.transition == "BlockedByFailedLoad"
    problems = " | ".join(st.not_ready())
    assert "Ready=False (RevisionFailed)" in problems
    assert "bundle failed verification" in problems
    assert "model load: ModelLoadFailed" in problems


def test_parse_tolerates_a_fresh_object_without_status(objects):
    obj = objects.isvc()
    obj.pop("status")
    st = parse(obj)
    assert (st.ready, st.traffic, st.latest_created) == ("Unknown", [], "")


def _serve_canary(apiserver, objects, isvc_obj=None, revisions=True):
    apiserver.routes[isvc_path()] = (200, isvc_obj or objects.isvc())
    if revisions:
        apiserver.routes[revision_path(R1)] = (200, revision(R1, CHAMPION_URI))
        apiserver.routes[revision_path(R2)] = (200, revision(R2, CHALLENGER_URI))


def test_status_prints_split_tag_urls_and_bundle_per_revision(apiserver, objects):
    _serve_canary(apiserver, objects)
    out = io.StringIO()
    assert main(["status"], out=out) == 0
    text = out.getvalue()
    assert f"InferenceService {NS}/{NAME}: Ready=True" in text
    assert f" 10%  {R2}  tag=latest  [latestRevision]" in text
    assert f" 90%  {R1}  tag=prev" in text
    assert f"http://prev-{NAME}-predictor-{NS}.example.com" in text
    assert f"{R1}: {CHAMPION_URI}  [ready; rolled out (champion)]" in text
    assert f"{R2}: {CHALLENGER_URI}  [ready; latest created, latest ready]" in text


def test_status_shows_failed_revision_reason(apiserver, objects):
    _serve_canary(apiserver, objects, objects.failed_canary(), revisions=False)
    apiserver.routes[revision_path(R1)] = (200, revision(R1, CHAMPION_URI))
    apiserver.routes[revision_path(R2)] = (
        200,
        revision(
            R2,
            CHALLENGER_URI,
            "False",
            "ExitCode2",
            "Container failed with: bundle failed verification",
        ),
    )
    out = io.StringIO()
    assert main(["status"], out=out) == 0
    assert f"{R2}: {CHALLENGER_URI}  [failed: ExitCode2: Container failed" in out.getvalue()
    assert "Ready=False (RevisionFailed)" in out.getvalue()


def test_status_falls_back_to_spec_uri_when_revisions_are_forbidden(apiserver, objects):
    _serve_canary(apiserver, objects, revisions=False)
    for rev in (R1, R2):
        apiserver.routes[revision_path(rev)] = (
            403,
            status_body(
                403, "Forbidden", f'revisions.serving.knative.dev "{rev}" is forbidden', {}
            ),
        )
    out = io.StringIO()
    assert main(["status"], out=out) == 0
    assert f"the spec asks for {CHALLENGER_URI}" in out.getvalue()
    assert "forbidden (403)" in out.getvalue()


def _error(capsys, argv=("status",)):
    code = main(list(argv), out=io.StringIO())
    captured = capsys.readouterr()
    assert captured.out == "", "logs (urllib3's retry warnings too) go to stderr, not stdout"
    return code, failure_line(captured.err)


def test_status_exits_2_naming_missing_isvc_when_404(apiserver, capsys):
    apiserver.routes[isvc_path()] = (
        404,
        status_body(
            404,
            "NotFound",
            f'inferenceservices.serving.kserve.io "{NAME}" not found',
            {"name": NAME, "group": "serving.kserve.io", "kind": "inferenceservices"},
        ),
    )
    code, err = _error(capsys)
    assert code == 2
    assert f"not found (404): no inferenceservices '{NAME}' in namespace '{NS}'" in err


def test_status_exits_2_saying_kserve_missing_when_api_group_absent(apiserver, capsys):
    apiserver.routes["/apis/"] = (200, api_groups("apps", "serving.knative.dev"))
    code, err = _error(capsys)
    assert code == 2
    assert "serving.kserve.io/v1beta1 is not served: KServe is not installed" in err


def test_status_exits_2_saying_forbidden_when_403(apiserver, capsys):
    user = "system:serviceaccount:ci:rollout"
    apiserver.routes[isvc_path()] = (
        403,
        status_body(
            403,
            "Forbidden",
            f'inferenceservices.serving.kserve.io "{NAME}" is forbidden: User '
            f'"{user}" cannot get resource "inferenceservices" in API group "serving.kserve.io" in '
            f'the namespace "{NS}"',
            {"name": NAME, "group": "serving.kserve.io"},
        ),
    )
    code, err = _error(capsys)
    assert code == 2
    assert err.startswith("housing-rollout: error: forbidden (403)")
    assert user in err


def test_status_exits_2_when_no_kubeconfig(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, err = _error(capsys)
    assert code == 2
    assert "no Kubernetes configuration" in err


def test_status_exits_2_when_api_server_unreachable(tmp_path, monkeypatch, capsys, apiserver):
    apiserver.close()  # the kubeconfig now points at a closed port
    code, err = _error(capsys)
    assert code == 2
    assert "cannot reach the Kubernetes API server" in err


@pytest.mark.parametrize("release, isvc_name", [("housing", "housing"), ("prod", "prod-housing")])
def test_status_reads_the_isvc_named_after_the_release_fullname(
    apiserver, objects, release, isvc_name
):
    apiserver.routes[isvc_path(isvc_name)] = (200, objects.single())
    assert main(["status", "--release", release], out=io.StringIO()) == 0
    assert apiserver.requests[0] == isvc_path(isvc_name)


def test_status_json_holds_traffic_pointers_and_bundles(apiserver, objects):
    import json

    _serve_canary(apiserver, objects)
    out = io.StringIO()
    assert main(["status", "--json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["latest_rolledout"] == R1 and data["canary_percent"] == 10
    assert data["bundles"] == {R2: CHALLENGER_URI, R1: CHAMPION_URI}
    assert data["revision_states"] == {R2: "ready", R1: "ready"}
