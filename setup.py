"""Packaging is declared in setup.cfg; this file holds only what setup.cfg cannot say: the
packages, because the schema folder cassandra/ ships as the package data of `service.schema`
(a folder mapped to a package, which setup.cfg's `packages = find:` does not discover).
cassandra/ itself is never a Python package in the checkout: it would shadow the driver's
`cassandra`."""

from setuptools import find_packages, setup

PACKAGES = ("service", "consumers", "simulators", "devtools", "bench", "chaos")

setup(packages=[*find_packages(include=[f"{p}{tail}" for p in PACKAGES for tail in ("", ".*")]), "service.schema"],
      package_dir={"service.schema": "cassandra"})
