"""What every console page gets besides its own context: who is signed in (for the header and
the sign-out form's CSRF token)."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from service.console.auth import Viewer

# The header's current section, by template.
SECTIONS = {
    "jobs.html": "jobs",
    "job.html": "jobs",
    "_job_live.html": "jobs",
    "datasets.html": "datasets",
    "dataset.html": "datasets",
    "pipelines.html": "pipelines",
    "pipeline.html": "pipelines",
    "ops.html": "ops",
}


def page(template: str, viewer: Viewer, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=template,
        context={
            "signed_in": True,
            "team": viewer.principal.team,
            "is_admin": viewer.principal.is_admin,
            "csrf_token": viewer.session.csrf,
            "section": SECTIONS.get(template, ""),
            **context,
        },
        status_code=status_code,
    )
