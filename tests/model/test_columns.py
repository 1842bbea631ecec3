"""The named column constants of model.schema are its columns (code never unpacks NUMERIC)."""

from model import schema


def test_each_named_column_is_a_numeric_column_once() -> None:
    named = [
        schema.LONGITUDE,
        schema.LATITUDE,
        schema.AGE,
        schema.ROOMS,
        schema.BEDROOMS,
        schema.POPULATION,
        schema.HOUSEHOLDS,
        schema.INCOME,
    ]
    assert sorted(named) == sorted(schema.NUMERIC)
