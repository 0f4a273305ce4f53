"""The same-run baselines: a bare Flask JSON endpoint and a minimal Flask-SQLAlchemy + marshmallow
page of 20 rows over the same `products` table, served with the same gunicorn settings."""

import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)


class Row(db.Model):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    stock_quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))


class RowSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    unit = fields.String()
    unit_price_vnd = fields.Integer()
    stock_quantity = fields.Integer()


rows_schema = RowSchema(many=True)


@app.get("/bare")
def bare():
    return jsonify({"status": "ok"})


@app.get("/rows")
def rows():
    items = db.session.scalars(
        select(Row).where(Row.status == "active").order_by(Row.id.desc()).limit(20)
    ).all()
    return jsonify({"items": rows_schema.dump(items), "page": 1, "per_page": 20})
