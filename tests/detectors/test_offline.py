"""Import, model load and inference must not touch the network (none exists in a bank's
server room, and a blocked lookup can stall a night's run)."""

import json
import subprocess
import sys
import textwrap

import pytest

GUARD = textwrap.dedent(
    """
    import json, socket, sys
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network blocked by test")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    socket.gethostbyname = refuse

    import numpy as np
    from detectors.registry import load_detector

    frame = np.full((480, 640, 3), 90, np.uint8)
    for backend, weights, model in BACKENDS:
        load_detector(backend, weights, model=model).detect(frame)
    print(json.dumps(attempts))
    """
)


@pytest.mark.parametrize(
    "backends",
    [
        [("onnx", None, "nanodet"), ("onnx", None, "nanodet-int8")],
        pytest.param(
            [("yolo", "yolo11n.yaml", "nanodet")],
            marks=pytest.mark.skipif(
                subprocess.run(
                    [sys.executable, "-c", "import ultralytics"], capture_output=True
                ).returncode
                != 0,
                reason="ultralytics extra not installed",
            ),
        ),
    ],
    ids=["onnx", "yolo"],
)
def test_no_network_during_import_load_and_inference(backends, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no YOLO_* variables inherited
    script = f"BACKENDS = {backends!r}\n" + GUARD
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
