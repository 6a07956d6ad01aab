"""Project tests run under the suite's fixtures (``tests/conftest.py``):
torch threads reset before every test, default scopes undone after it, no
per-machine depth-wise choice file, the shared sample data."""
from tests.conftest import (_few_threads, _isolate_default_scope,  # noqa
                            shared_data)
