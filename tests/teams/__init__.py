"""Tests of the Microsoft Teams surface."""
