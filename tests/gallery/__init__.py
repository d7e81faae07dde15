"""A gallery of differently shaped studies built from public data that PyPI packages ship."""
