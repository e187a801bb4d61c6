"""Judgements of one exchange on its own, as plain functions of an Exchange (client.py), whoever produced it: a case
of a run, the model, a HAR file (`conformance judge`) or the proxy. Each gives the requirement it is evidence for and
what is wrong ("" when the exchange meets the rule); an exchange that shows nothing about a rule gives no judgement of
it. One module per thing judged: http (reading an exchange), answers (every answer, JSON content type), contacts (a
contact's fields), creates, lists, deletes, auth. Every shared verdict lives here once; the names below are the
ones callers use."""
from conformance.judgements.answers import (CODES, DOCUMENTED_CODES, DOCUMENTED_STATUSES, error_body_problem,
                                            error_code_problem, error_judgements, is_json_type, judge_answer,
                                            json_answer_problem, request_id_problem, retry_after_problem,
                                            spec_problem)
from conformance.judgements.auth import (UNNAMED_KEY_HEADERS, asks_for_a_verdict, bearer_token, judge_auth, key_kind,
                                         near_key)
from conformance.judgements.contacts import (CLOCK_SLACK_S, ISO8601_UTC, LONG_NAME, created_at_format_problem,
                                             created_at_order_problem, created_at_problems, echo_problems,
                                             email_is_clearly_malformed, email_is_clearly_valid, email_matches,
                                             id_problem, lists_match, name_length, name_problem, name_refusable,
                                             parse_instant)
from conformance.judgements.creates import Expected, expected_create, judge_create, judge_created_at
from conformance.judgements.deletes import judge_delete
from conformance.judgements.http import (GATEWAY, Judgement, body_known, created_id, is_success, operation, path_id,
                                         query)
from conformance.judgements.lists import (DEFAULT_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE, items_of, judge_list,
                                          meta_of, page_of)

__all__ = ["UNNAMED_KEY_HEADERS", "bearer_token", "CLOCK_SLACK_S", "CODES", "DEFAULT_PAGE", "DEFAULT_PER_PAGE", "DOCUMENTED_CODES", "DOCUMENTED_STATUSES",
           "Expected", "GATEWAY", "ISO8601_UTC", "Judgement", "LONG_NAME", "MAX_PER_PAGE", "asks_for_a_verdict",
           "body_known", "created_at_format_problem", "created_at_order_problem", "created_at_problems", "created_id",
           "echo_problems",
           "email_is_clearly_malformed", "email_is_clearly_valid", "email_matches", "error_body_problem",
           "error_code_problem", "error_judgements", "expected_create", "id_problem", "is_json_type", "is_success",
           "items_of", "judge_answer", "judge_auth", "judge_create", "judge_created_at", "judge_delete", "judge_list",
           "json_answer_problem", "key_kind", "lists_match", "meta_of", "name_length", "name_problem", "name_refusable",
           "near_key", "operation", "page_of", "parse_instant", "path_id", "query", "request_id_problem",
           "retry_after_problem", "spec_problem"]
