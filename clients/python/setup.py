"""Builds the wheel with the gRPC stubs generated from Protocol/ (never committed): the .proto files are copied into
the package and protoc (grpcio-tools) writes `pulsetrader/_generated`. An editable install skips this; the package
then generates the stubs on first import (see pulsetrader/_stubs.py)."""
import importlib.util
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install generates the stubs on first import
        package = pathlib.Path(self.build_lib) / "pulsetrader"
        source = HERE.parents[1] / "Protocol"
        bundled = package / "protocol"
        if source.is_dir():
            shutil.rmtree(bundled, ignore_errors=True)
            for proto in source.rglob("*.proto"):
                target = bundled / proto.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(proto, target)
        spec = importlib.util.spec_from_file_location("pulsetrader_build_stubs", HERE / "src" / "pulsetrader" / "_stubs.py")
        stubs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stubs)
        stubs.generate(bundled, package / "_generated")


setup(cmdclass={"build_py": BuildWithStubs})
