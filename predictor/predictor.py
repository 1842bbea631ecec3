"""``HousingPredictor``: the bundle behind KServe's V2 endpoints.

KServe's ``Model.__call__`` runs preprocess -> predict -> postprocess and times each into its
Prometheus histograms; here that is decode + validate (``model.schema``), ``model.predict.predict``
(the one prediction path, shared with batch, so HTTP and batch agree bit for bit) and encode.
``__call__`` is wrapped once to map errors (``predictor.errors``), count, log one line and hand
the served request to the event log.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from kserve import InferInput, InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InvalidInput
from kserve.model import InferenceVerb
from kserve.protocol.infer_type import to_http_parameters

from model.bundle import LOWER, PREDICTION, UPPER, Bundle, load_bundle
from model.errors import SchemaError
from model.predict import predict
from model.schema import Rows, validate_columns
from predictor import codec, errors
from predictor.codec import MAX_ID_CHARS
from predictor.event_log import EventLog, Served
from predictor.metrics import Metrics

logger = logging.getLogger(__name__)
OUTPUTS = (PREDICTION, LOWER, UPPER)


@dataclass
class _Work:
    """One request between KServe's stages."""

    request_id: str
    raw: bool
    """Came through the lean JSON route (answer with bytes) rather than as an InferRequest."""
    columns: codec.Columns | None = None
    rows: Rows | None = None
    outputs: dict[str, np.ndarray] | None = None


# The request being served: __call__ creates it, the stages fill it, __call__ logs it.
# One per asyncio task, so concurrent requests never share one.
_current: ContextVar[_Work | None] = ContextVar("housing_request", default=None)


class HousingPredictor(Model):  # type: ignore[misc]  # kserve ships no type hints
    """A KServe model serving one verified bundle over V2.

    Args:
        name: the V2 model name. model_dir: the bundle directory.
        max_batch_rows: row limit per request. metrics: the counters.
        event_log: where served requests go (None: local request logging off).
    """

    def __init__(
        self,
        name: str,
        model_dir: Path,
        *,
        max_batch_rows: int,
        metrics: Metrics,
        event_log: EventLog | None = None,
    ) -> None:
        super().__init__(name)
        self.model_dir, self.max_batch_rows = model_dir, max_batch_rows
        self.metrics, self.event_log = metrics, event_log
        self.bundle: Bundle | None = None

    @property
    def version(self) -> str:
        """The loaded bundle's model version ("" before loading)."""
        return self.bundle.version if self.bundle else ""

    def load(self) -> bool:
        """Verify and load the bundle; ready only afterwards.

        Raises:
            BundleError: missing, tampered or incompatible bundle.
        """
        self.bundle = load_bundle(self.model_dir)
        self._spec = {t.name: t.datatype for t in self.bundle.manifest.inputs}
        self.ready = True
        return True

    async def healthy(self) -> bool:
        """Ready and holding a verified bundle (KServe asks this for readiness checks)."""
        return bool(self.ready) and self.bundle is not None

    def stop(self) -> None:
        """Called by KServe's ModelServer on SIGTERM/SIGINT: flush the event log."""
        super().stop()
        if self.event_log is not None:
            self.event_log.close()

    def get_input_types(self) -> list[dict[str, Any]]:
        """V2 metadata inputs: the manifest's, one per raw column."""
        return [t.model_dump() for t in self.bundle.manifest.inputs] if self.bundle else []

    def get_output_types(self) -> list[dict[str, Any]]:
        """V2 metadata outputs: the manifest's (the interval bounds only with quantile models)."""
        return [t.model_dump() for t in self.bundle.manifest.outputs] if self.bundle else []

    def validate(self, payload: Any) -> Any:
        return payload  # KServe's dict checks do not apply to our decoded request

    async def __call__(
        self,
        body: Any,
        headers: dict[str, str] | None = None,
        verb: InferenceVerb = InferenceVerb.PREDICT,
    ) -> Any:
        start = time.perf_counter()
        request_id = _request_id(body, headers)
        failure: BaseException | None = None
        token = _current.set(_Work(request_id, isinstance(body, codec.RawBody)))
        try:
            with errors.translate(
                lambda: (_current.get() or _Work(request_id, False)).request_id, self.name
            ):
                if self.bundle is None:
                    raise errors.NotLoaded()
                if not isinstance(body, InferRequest | codec.RawBody):
                    raise InvalidInput("expected a V2 inference request (/v2/models/.../infer)")
                return await super().__call__(body, headers, verb)
        except Exception as e:
            failure = e
            raise
        finally:
            work = _current.get()
            self._record(work.request_id if work else request_id, failure, start, work)
            _current.reset(token)

    def preprocess(
        self, payload: InferRequest | codec.RawBody, headers: dict[str, str] | None = None
    ) -> _Work:
        if isinstance(payload, codec.RawBody):
            request = codec.parse_json(payload.data)
            inputs, parameters, requested, given_id = (
                request.inputs,
                request.parameters,
                request.outputs,
                request.id,
            )
        else:  # gRPC
            inputs = [_tensor(i) for i in payload.inputs]
            # gRPC parameters are InferParameter messages; as plain values "pd" compares.
            parameters = to_http_parameters(payload.parameters or {})
            given_id = payload.id
            requested = [o.name for o in payload.request_outputs or ()]
        work = _current.get() or _Work(_request_id(None, headers), raw=False)
        if problems := codec.id_problems(given_id):  # a JSON body's is refused by parse_json
            raise SchemaError(problems)
        work.request_id = str(given_id) if given_id else work.request_id
        work.columns = codec.decode(
            inputs,
            parameters,
            requested,
            spec=self._spec,
            outputs=OUTPUTS,
            max_rows=self.max_batch_rows,
        )
        work.rows = validate_columns(work.columns.data)
        return work

    def predict(self, work: _Work, headers: dict[str, str] | None = None) -> _Work:
        assert self.bundle is not None  # checked in __call__; narrows the type for mypy
        assert work.columns is not None and work.rows is not None
        interval = any(name in (LOWER, UPPER) for name in work.columns.outputs)
        work.outputs = predict(self.bundle, work.rows, interval=interval)
        return work

    def postprocess(
        self,
        work: _Work,
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> InferResponse | bytes:
        assert work.outputs is not None and work.columns is not None
        chosen = {name: work.outputs[name] for name in work.columns.outputs}
        if work.raw:
            return codec.encode_json(work.request_id, self.name, self.version, chosen)
        n = work.columns.rows
        outputs = [
            InferOutput(name=name, shape=[n], datatype="FP64", data=values)
            for name, values in chosen.items()
        ]
        return InferResponse(
            response_id=work.request_id,
            model_name=self.name,
            model_version=self.version,
            infer_outputs=outputs,
        )

    def _record(
        self, request_id: str, failure: BaseException | None, start: float, work: _Work | None
    ) -> None:
        latency_ms = round((time.perf_counter() - start) * 1000, 3)
        outcome = errors.outcome_of(failure)
        rows = work.columns.rows if work and work.columns else 0
        self.metrics.request(self.name, self.version, outcome, rows)
        extra: dict[str, Any] = {
            "request_id": request_id,
            "rows": rows,
            "latency_ms": latency_ms,
            "model_version": self.version,
            "outcome": outcome,
        }
        if failure is not None:
            extra["error"] = str(failure)[:500]
        logger.info("prediction", extra=extra)
        if failure is None and work and work.columns and self.event_log is not None:
            self.event_log.submit(
                Served(
                    datetime.now(UTC),
                    request_id,
                    self.version,
                    work.columns.data,
                    work.outputs or {},
                    latency_ms,
                )
            )


def _tensor(tensor: InferInput) -> codec.Tensor:
    # KServe keeps gRPC raw_input_contents on the input's _raw_data (InferRequest.__init__,
    # kserve 0.21 kserve/protocol/infer_type.py); its data is then [] (get_content).
    raw = getattr(tensor, "_raw_data", None)
    data = None if raw is not None else tensor.data
    return codec.Tensor(tensor.name, tensor.datatype, list(tensor.shape), data, raw)


def _request_id(body: Any, headers: dict[str, str] | None) -> str:
    # The body's V2 "id" (an InferRequest's; a raw body's is read in preprocess), else the
    # x-request-id header KServe and Istio propagate, else a new one.
    # A header id longer than the body's limit is cut: it is echoed and logged.
    given = getattr(body, "id", None) or (headers or {}).get("x-request-id", "")[:MAX_ID_CHARS]
    return str(given)[:MAX_ID_CHARS] if given else uuid.uuid4().hex
