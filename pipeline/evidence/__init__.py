"""Evidence for a finding: a short browser-playable H.264 clip and a JPEG key frame, with
zones, detections and a caption drawn and customers' heads blurred (a head-region blur
from person boxes, not a face detector: see privacy.py for its limits), stored under an
evidence root by content."""

from pipeline.evidence.clips import (
    Evidence,
    EvidenceError,
    EvidenceRequest,
    write_evidence,
    write_moment,
)

__all__ = ["Evidence", "EvidenceError", "EvidenceRequest", "write_evidence", "write_moment"]
