import json
import logging

from model.logging import JsonFormatter


def record(**extra):
    rec = logging.LogRecord("predictor", logging.INFO, "x.py", 1, "prediction", None, None)
    for k, v in extra.items():
        setattr(rec, k, v)
    return json.loads(JsonFormatter().format(rec))


def test_log_line_is_one_json_object_with_event_and_extras():
    line = record(request_id="r1", rows=3)
    assert line["event"] == "prediction" and line["level"] == "INFO"
    assert line["logger"] == "predictor" and line["request_id"] == "r1" and line["rows"] == 3


def test_log_line_masks_secret_looking_fields_and_drops_uvicorn_colours():
    line = record(aws_secret_access_key="abc", color_message="\x1b[32mprediction\x1b[0m")
    assert line["aws_secret_access_key"] == "***"
    assert "color_message" not in line
