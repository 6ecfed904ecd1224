"""Builds the wheel with the gRPC stubs generated from Protocol/ (never committed): the .proto files are copied into
the package and protoc (grpcio-tools) writes `pulsetrader/_generated`. An editable install skips this; the package
then generates the stubs on first import (see pulsetrader/_stubs.py)."""
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        package = pathlib.Path(self.build_lib) / "pulsetrader"
        source = HERE.parents[1] / "Protocol"
        bundled = package / "protocol"
        if source.is_dir():
            shutil.rmtree(bundled, ignore_errors=True)
            for proto in source.rglob("*.proto"):
                target = bundled / proto.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(proto, target)
        import sys

        sys.path.insert(0, str(package.parent))
        from pulsetrader import _stubs

        _stubs.generate(bundled, package / "_generated")


setup(cmdclass={"build_py": BuildWithStubs})
