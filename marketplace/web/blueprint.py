"""The pages' blueprint: a plain Flask Blueprint (so pages stay out of /api/openapi.json) whose
views each run as one unit of work."""

from ..unit_of_work import TransactionalBlueprint

bp = TransactionalBlueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
