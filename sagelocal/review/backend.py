"""The review room's backend: one SQLite store behind the control plane, the loops, the reviewers' queue."""
from __future__ import annotations

from sagelocal.review.control import ControlPlane
from sagelocal.review.loops import HumanLoops
from sagelocal.review.reviewers import Reviewers
from sagelocal.review.store import open_database
from sagelocal.review.tasks import Tasks
from sagelocal.storage.sqlite import start_up


class ReviewBackend(ControlPlane):
    """Serves the ``sagemaker`` A2I operations by name; ``loops``, ``tasks`` and ``reviewers`` serve the rest."""

    def __init__(self, settings):
        db = open_database(settings)
        super().__init__(settings, db)
        self.loops = HumanLoops(settings, db)
        start_up(self.loops.release_holds)
        self.tasks = Tasks(db, self.loops, settings.region)
        self.reviewers = Reviewers(db)
