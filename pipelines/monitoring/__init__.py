"""Data-quality monitoring as a pipeline, for accounts without Model Monitor."""
