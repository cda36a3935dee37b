#pragma once
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a destructor pointer, which Swift cannot
/// import. Swift strings and Data passed as pointers are temporaries, so every bind must
/// ask SQLite to copy them: this returns the TRANSIENT marker as a typed value.
static inline sqlite3_destructor_type herald_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
