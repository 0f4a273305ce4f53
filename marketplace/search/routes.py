from ..catalogue import response_cache
from ..http import Blueprint
from . import services
from .schemas import SearchArgs, SearchResultSchema

blp = Blueprint("search", __name__, url_prefix="/api/v1", description="Search")
RESULT = SearchResultSchema()


@blp.route("/search", methods=["GET"])
@blp.arguments(SearchArgs, location="query")
@blp.response(200, RESULT)
def search(args):
    """Full-text search over the public catalogue, with its filters, facet counts and a spelling
    suggestion when nothing matches."""

    def result():
        filters = dict(args)
        q, page, per_page = filters.pop("q", None), filters.pop("page"), filters.pop("per_page")
        return services.search(q, filters, page, per_page)

    return response_cache.serve("search", args, result, RESULT)
