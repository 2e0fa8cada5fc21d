"""Model backends behind detectors/base.py: each turns a frame into `Detections`."""
