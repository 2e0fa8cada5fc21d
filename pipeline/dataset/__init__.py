"""The bank's own phone model's data: reviewed phone evidence as a YOLO dataset
(`export.py`), and a model's precision and recall on what it did not train on
(`evaluate.py`); both read the reviewed set one way (`reviewed.py`)."""
