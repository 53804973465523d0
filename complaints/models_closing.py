"""Models for models_closing (imported at the end of complaints/models.py)."""
