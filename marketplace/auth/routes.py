from ..errors import field_error
from ..extensions import limiter
from ..http import Blueprint
from . import login_limit, services
from .access import current_auth, login_required, require_user
from .schemas import (
    ClaimSchema,
    LoginSchema,
    RegisterSchema,
    TokenSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Accounts and tokens")


@blp.route("/auth/register", methods=["POST"])
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.errors(400, 409)
def register(data):
    """Create an account with an email or a phone number (one of them is enough)."""
    user = services.register_user(
        full_name=data["full_name"],
        password=data["password"],
        email=data.get("email"),
        phone=data.get("phone"),
    )
    return user


@blp.route("/auth/tokens", methods=["POST"])
@limiter.limit("300 per minute")
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
@blp.errors(400, 401, 429)
def create_token(data):
    """Log in with an email or a phone number in any common Vietnamese form (10 attempts a minute
    per account, counted with the login page's; 300 a minute per client address)."""
    login_limit.count_attempt(data["login"])
    user = services.check_login(data["login"], data["password"])
    raw, token = services.issue_token(user)
    return {"token": raw, "expires_at": token.expires_at}


@blp.route("/auth/tokens/current", methods=["DELETE"])
@blp.response(204)
@blp.errors(401)
@login_required
def revoke_current_token():
    """Log out: the token used for this request stops working."""
    _, token = current_auth()
    services.revoke_token(token)


@blp.route("/auth/claim", methods=["POST"])
@limiter.limit("300 per minute")
@blp.arguments(ClaimSchema)
@blp.response(201, TokenSchema)
@blp.errors(400, 401, 429)
def claim(data):
    """A household onboarded by its co-op sets its password with the claim code and logs in."""
    if len(data["password"]) < services.PASSWORD_MIN:
        raise field_error("password", f"Must be at least {services.PASSWORD_MIN} characters.")
    user = services.redeem_claim_code(data["code"], data["password"])
    raw, token = services.issue_token(user)
    return {"token": raw, "expires_at": token.expires_at}


@blp.route("/me", methods=["GET"])
@blp.response(200, UserSchema)
@blp.errors(401)
@login_required
def me():
    """The caller's account with its roles."""
    return require_user()


@blp.route("/me", methods=["PATCH"])
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@blp.errors(400, 401, 422)
@login_required
def update_me(data):
    """Change the caller's settings: `locale` (vi or en), the language of pages and notifications."""
    return services.set_locale(require_user(), data["locale"])
