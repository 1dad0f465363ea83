"""A local stand-in for Slack: its Web API and the signed requests it sends.

Used by `panelbot demo`, the tests and the benchmarks, so all three drive the real app the way
Slack would, with no workspace and no network.
"""
