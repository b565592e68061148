"""The service's pages for people, one module per kind of page (each with its router)."""

from reports.service.views import (
    district,
    evaluation,
    home,
    review,
    submission,
    template,
    upload,
)

ROUTERS = [
    module.router for module in (home, upload, submission, review, evaluation, district, template)
]

__all__ = ["ROUTERS"]
