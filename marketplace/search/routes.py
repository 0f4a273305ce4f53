from ..http import Blueprint
from . import services
from .schemas import SearchArgs, SearchResultSchema

blp = Blueprint("search", __name__, url_prefix="/api/v1", description="Search")


@blp.route("/search", methods=["GET"])
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchResultSchema)
def search(args):
    """Full-text search over the public catalogue, with its filters, facet counts and a spelling
    suggestion when nothing matches."""
    q = args.pop("q", None)
    page, per_page = args.pop("page"), args.pop("per_page")
    return services.search(q, args, page, per_page)
