import pytest

from intake import classifier, selectors
from intake.models import ClassifierModel


@pytest.fixture(scope="session")
def trained():
    """(pipeline, joblib bytes) trained once per test run on the shipped labelled set."""
    pairs = classifier.read_labelled(classifier.LABELLED_SET)
    pipeline = classifier.train([t for t, _c in pairs], [c for _t, c in pairs])
    return pipeline, classifier.dump(pipeline)


@pytest.fixture
def classifier_model(db, trained):
    """The session's classifier stored as version 1 and in use."""
    pipeline, artifact = trained
    model = ClassifierModel.objects.create(
        version=1, accuracy=0.9, top3_accuracy=0.99, training_size=430, labelled_size=430,
        classes=list(pipeline.classes_), fingerprint="test", library_version=
        classifier.library_version(), artifact=artifact, artifact_sha256="test")
    selectors._loaded.update(version=None, pipeline=None)
    yield model
    selectors._loaded.update(version=None, pipeline=None)


@pytest.fixture
def created(django_capture_on_commit_callbacks):
    """make_complaint, then run what happens after its commit (classification and routing)."""
    from tests.factories import make_complaint

    def create(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            complaint = make_complaint(**kwargs)
        complaint.refresh_from_db()
        return complaint

    return create


@pytest.fixture
def public_cache(settings, monkeypatch):
    """The public pages keep rate counters and one-time codes in the cache: a private, empty
    one per test, and one instant for the whole test so fixed rate windows cannot roll over
    half-way through."""
    from django.core.cache import cache
    from django.utils import timezone

    from intake import public

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "public-intake-tests"}}
    frozen = timezone.now()
    monkeypatch.setattr(public, "_now", lambda: frozen)
    cache.clear()
    yield
    cache.clear()

