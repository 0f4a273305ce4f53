from ..auth.access import login_required, require_user
from ..http import Blueprint, paginate
from . import services
from .schemas import FeedArgs, FeedSchema, MarkReadSchema

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1", description="The caller's notifications"
)


@blp.route("/me/notifications", methods=["GET"])
@blp.arguments(FeedArgs, location="query")
@blp.response(200, FeedSchema)
@blp.errors(401, 422)
@login_required
def feed(args):
    """The caller's in-app notifications, newest first (`unread=true`: only unread ones)."""
    user = require_user()
    page = paginate(services.feed(user, args["unread"]), args["page"], args["per_page"])
    return {**page, "unread_count": services.unread_count(user)}


@blp.route("/me/notifications/read", methods=["POST"])
@blp.arguments(MarkReadSchema)
@blp.response(204)
@blp.errors(400, 401, 422)
@login_required
def mark_read(data):
    """Mark the caller's notifications read: those in `ids`, or all of them without `ids`."""
    services.mark_read(require_user(), data.get("ids"))
