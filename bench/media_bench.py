"""Photos and lots in `make bench` (called from bench/run.py; runnable alone):

1. upload-and-resize: a 4000×3000 camera JPEG (about 3 MB) posted to POST /products/{id}/images
   through the whole app (multipart parsing, Pillow, both sizes, files written, database), one
   request at a time in a fresh process per case, so its peak RSS is what one worker needs;
   also Pillow alone (media.images.renditions) for the share of the time that is image work.
2. GET /lots/{code} req/s with wrk against the same-run baselines (bench/baseline.py), on
   PostgreSQL, served by gunicorn.conf.py.

    .venv/bin/python bench/media_bench.py [--duration 10] [--connections 32] [--uploads 20]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import BIN, ROOT, database, flask, gunicorn, wrk  # noqa: E402

# Runs in a child process: the app in-process on SQLite, uploads through the test client.
UPLOADS = r"""
import io, json, sys, tempfile, time

mode, count = sys.argv[1], int(sys.argv[2])
data = open(sys.argv[3], "rb").read()
tmp = tempfile.mkdtemp()
from marketplace import create_app
from marketplace.extensions import db
from marketplace.media import images
from flask_migrate import upgrade
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db", "SEARCH_INDEX_DIR": f"{tmp}/i",
                  "MEDIA_DIR": f"{tmp}/media", "RATELIMIT_ENABLED": False, "SECRET_KEY": "b",
                  "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
with app.app_context():
    upgrade()
client = app.test_client()
def call(method, path, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open("/api/v1" + path, method=method, headers=headers, **kw)
if mode == "http":
    from marketplace.auth.services import create_admin
    with app.app_context():
        create_admin("a@b.vn", "bench-password-2026", "A"); db.session.commit()
    tok = lambda login: call("POST", "/auth/tokens", json={"login": login, "password": "bench-password-2026"}).get_json()["token"]
    admin = tok("a@b.vn")
    coop = call("POST", "/coops", admin, json={"name": "HTX", "province_code": 31, "ward_code": 10813}).get_json()
    call("POST", "/auth/register", json={"email": "h@b.vn", "password": "bench-password-2026", "full_name": "H"})
    call("POST", "/auth/register", json={"email": "c@b.vn", "password": "bench-password-2026", "full_name": "C"})
    house, cadmin = tok("h@b.vn"), tok("c@b.vn")
    me = call("GET", "/me", cadmin).get_json()
    call("POST", f"/coops/{coop['id']}/admins", admin, json={"user_id": me["id"]})
    seller = call("POST", "/sellers", house, json={"display_name": "V", "coop_id": coop["id"], "phone": "0987000111",
        "province_code": 31, "ward_code": 10813, "address_line": "X"}).get_json()
    call("POST", f"/sellers/{seller['id']}/submit", house); call("POST", f"/sellers/{seller['id']}/approve", cadmin)
    product = call("POST", "/products", house, json={"name": "Vải", "description": "d", "category_slug": "vai-thieu",
        "unit": "kg", "unit_price_vnd": 1000, "stock_quantity": 1, "origin_province_code": 31}).get_json()
    def once():
        r = call("POST", f"/products/{product['id']}/images", house,
                 data={"file": (io.BytesIO(data), "p.jpg", "image/jpeg")}, content_type="multipart/form-data")
        assert r.status_code == 201, r.get_json()
        assert call("DELETE", f"/products/{product['id']}/images/{r.get_json()['id']}", house).status_code == 204
else:
    def once():
        with app.app_context():
            images.renditions(data)
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
once()  # warm-up
rss_before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak (VmHWM): what follows is the uploads' own peak
started = time.perf_counter(); cpu = time.process_time()
for _ in range(count):
    once()
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"mode": mode, "uploads": count, "jpeg_bytes": len(data),
                  "per_upload_ms": round(1000 * wall / count, 1), "cpu_ms": round(1000 * cpu / count, 1),
                  "uploads_per_s": round(count / wall, 2),
                  "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(status("VmHWM"), 1)}))
"""


def camera_jpeg() -> bytes:
    """A 4000×3000 photo that compresses like a camera's (noise and shapes), with GPS EXIF."""
    image = Image.effect_noise((4000, 3000), 40).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, 4000, 97):
        y = (i * 7) % 3000
        draw.ellipse((i, y, i + 400, y + 300), fill=(200, 40 + i % 150, 60))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif[0x8825] = {1: "N", 2: (20.0, 55.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def uploads(count: int) -> list[dict]:
    out = []
    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo:
        photo.write(camera_jpeg())
        photo.flush()
        for mode in ("pillow", "http"):
            out.append(_uploads(mode, count, photo.name))
    return out


def _uploads(mode: str, count: int, path: str) -> dict:
    answer = subprocess.run(
        [str(BIN / "python"), "-c", UPLOADS, mode, str(count), path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MARKETPLACE_ENV": "testing"},
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def lot_reads(args) -> list[dict]:
    with database("mp_bench_lots") as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MARKETPLACE_ENV": "production",
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": f"{tmp}/index",
            "MEDIA_DIR": f"{tmp}/media",
            "RATELIMIT_ENABLED": "false",
        }
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        flask(env, "db", "upgrade", **quiet)
        flask({**env, "MARKETPLACE_ENV": "development"}, "seed", "--demo", **quiet)
        rows = []
        with gunicorn("bench.baseline:app", env) as base:
            for name, path in (
                ("bare Flask JSON", "/bare"),
                ("SQLAlchemy+marshmallow 20 rows", "/rows"),
            ):
                rows.append(
                    {
                        "name": f"baseline: {name}",
                        **wrk(base + path, args.duration, args.connections),
                    }
                )
        with gunicorn("wsgi:app", env) as base:
            api = base + "/api/v1"
            token = requests.post(
                api + "/auth/tokens",
                json={"login": "household@demo.vn", "password": "demo-password-2026"},
                timeout=30,
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            me = requests.get(api + "/me", headers=auth, timeout=30).json()
            product = requests.get(
                api + f"/sellers/{me['seller_id']}/products", headers=auth, timeout=30
            ).json()["items"][0]
            requests.patch(
                api + f"/products/{product['id']}",
                json={"stock_quantity": 0},
                headers=auth,
                timeout=30,
            ).raise_for_status()
            photo = io.BytesIO()
            Image.new("RGB", (1600, 1200), (200, 40, 60)).save(photo, "JPEG")
            requests.post(
                api + f"/products/{product['id']}/images",
                files={"file": ("p.jpg", photo.getvalue(), "image/jpeg")},
                headers=auth,
                timeout=60,
            ).raise_for_status()
            lot = requests.post(
                api + f"/products/{product['id']}/lots",
                json={
                    "harvested_on": "2026-06-01",
                    "quantity": 500,
                    "planting_area_code": "VN-HPTH-0042",
                },
                headers=auth,
                timeout=30,
            ).json()
            rows.append(
                {
                    "name": "GET /lots/{code}",
                    **wrk(f"{api}/lots/{lot['code']}", args.duration, args.connections),
                }
            )
            rows.append(
                {
                    "name": "GET /t/{code} (page)",
                    **wrk(f"{base}/t/{lot['code']}", args.duration, args.connections),
                }
            )
    baseline = rows[1]["rps"]
    for row in rows:
        row["ratio"] = round(row["rps"] / baseline, 2)
    return rows


def run_all(args) -> dict:
    results = {"uploads": uploads(args.uploads), "lot_reads": lot_reads(args)}
    print("\n=== photos: 4000×3000 JPEG upload-and-resize, one at a time ===")
    for u in results["uploads"]:
        print(
            f"{u['mode']:>7}: {u['per_upload_ms']} ms/upload ({u['uploads_per_s']}/s, CPU {u['cpu_ms']} ms),"
            f" peak RSS {u['peak_rss_mb']} MB (before the timed uploads: {u['rss_before_mb']} MB), {u['jpeg_bytes']:,} bytes"
        )
    print("\n=== lots: the public trace record ===")
    for r in results["lot_reads"]:
        print(f"{r['name']:<42} {r['rps']:>8} req/s  p95 {r['p95_ms']:>7} ms  ratio {r['ratio']}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--uploads", type=int, default=20)
    results = run_all(parser.parse_args())
    out = ROOT / "bench" / "results" / "media.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
