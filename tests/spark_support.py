"""A local Spark session for the tests, or the reason there is none (no Java, no pyspark)."""

from __future__ import annotations

import os
import shutil

import pytest


def spark_missing() -> str | None:
    """Why Spark cannot run on this machine (None when it can)."""
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Spark tests need Java 17+ (apt-get install openjdk-17-jre-headless; `make test` installs it)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "Spark tests need the spark extra (pip install -c constraints.txt -e '.[dev,spark]'; `make test` installs it)"
    return None


def local_spark():
    """One local[2] session per test process (``getOrCreate`` shares it between modules)."""
    why = spark_missing()
    if why:
        pytest.skip(why)
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[2]").appName("workbench-tests")
            .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
