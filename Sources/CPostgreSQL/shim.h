#pragma once
#include <libpq-fe.h>
#include <postgres_ext.h>

/// PG_DIAG_* are character-literal macros; this names the one Herald reads (the
/// five-character SQLSTATE of an error result) as a typed value Swift can pass to
/// PQresultErrorField.
static inline int herald_pq_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}
