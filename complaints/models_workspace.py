"""Models for models_workspace (imported at the end of complaints/models.py)."""
