"""Imported first by the worker pools' fork server: it dies with the command that started it
(its workers die with it in turn), so a killed command leaves no process behind."""

from sim.io_safety import die_with_parent

die_with_parent()
