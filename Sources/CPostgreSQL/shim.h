#pragma once
#include <libpq-fe.h>
#include <postgres_ext.h>

/// PG_DIAG_* are character-literal macros; this names the one Herald reads (the
/// five-character SQLSTATE of an error result) as a typed value Swift can pass to
/// PQresultErrorField.
static inline int herald_pq_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}

/// The primary message of an error result, without its context lines: Herald's own
/// errors raised from PL/pgSQL (`herald_conflict`) carry their whole message there.
static inline int herald_pq_diag_message_primary(void) {
    return PG_DIAG_MESSAGE_PRIMARY;
}
