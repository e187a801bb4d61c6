"""Judging traffic the checker did not send: a HAR file (`conformance judge`) or a live reverse proxy
(`conformance proxy`), with the per-exchange judgements of conformance/judgements/ and the cross-exchange rules
of cross.py."""
