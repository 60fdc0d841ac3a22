import GRDB
import Intake

/// The store's schema as named, versioned migrations. Each runs once, in its own transaction, recorded by
/// GRDB in `grdb_migrations`; never edit a shipped migration, add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1-applications") { db in
            // Only non-personal columns are in clear. `id_hmac` is a keyed hash of the ID number for duplicate
            // detection; the number itself, names, phone, portraits and prints live in the sealed `payload`.
            try db.execute(
                sql: """
                    CREATE TABLE application (
                        id TEXT PRIMARY KEY NOT NULL,
                        local_state TEXT NOT NULL,
                        central_state TEXT NOT NULL,
                        central_reason TEXT,
                        held_from TEXT,
                        captured_at INTEGER NOT NULL,
                        captured_day TEXT NOT NULL,
                        updated_at INTEGER NOT NULL,
                        accepted_at INTEGER,
                        purged_at INTEGER,
                        commune_code TEXT NOT NULL,
                        point_kind TEXT NOT NULL,
                        operator_id TEXT NOT NULL,
                        bundle TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        id_hmac BLOB NOT NULL,
                        key_id INTEGER,
                        -- Last: reading any column after it would walk its overflow pages.
                        payload BLOB,
                        CHECK ((payload IS NULL) = (key_id IS NULL))
                    ) STRICT
                    """)
            // The database itself refuses a second live application for the same citizen.
            try db.execute(
                sql: """
                    CREATE UNIQUE INDEX application_live_citizen ON application(id_hmac)
                        WHERE local_state <> 'cancelled' AND central_state <> 'rejected'
                    """)
            try db.execute(sql: "CREATE INDEX application_citizen ON application(id_hmac)")
        }

        migrator.registerMigration("v1-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        application_id TEXT,
                        from_status TEXT,
                        to_status TEXT,
                        reason_code TEXT,
                        note_sealed BLOB,
                        note_key_id INTEGER,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    ) STRICT
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END
                    """)
            try db.execute(sql: "CREATE INDEX audit_application ON audit(application_id)")
        }

        migrator.registerMigration("v1-key-check") { db in
            // MACs of a fixed message under each key (id 0 = index key): detects a wrong key file at open.
            try db.execute(
                sql: "CREATE TABLE key_check (key_id INTEGER PRIMARY KEY NOT NULL, mac BLOB NOT NULL) STRICT")
        }

        migrator.registerMigration("v1-operator-indexes") { db in
            // What operators filter, page (newest first, keyset on captured_at, id) and count by.
            let indexes = [
                "application_state ON application(local_state, captured_at, id)",
                "application_state_commune ON application(local_state, commune_code, captured_at, id)",
                "application_commune ON application(commune_code, captured_at, id)",
                "application_operator ON application(operator_id, captured_at, id)",
                "application_captured ON application(captured_at, id)",
                "application_status ON application(local_state, central_state)",  // status summary
                "application_central ON application(central_state, accepted_at)",  // purge
                "application_commune_day ON application(commune_code, captured_day)",  // reports
            ]
            for index in indexes { try db.execute(sql: "CREATE INDEX " + index) }
        }

        migrator.registerMigration("v2-eligibility") { db in
            // Citizens who cannot be registered yet or at all, kept on the commune's list with the reason. Only
            // the broad class is in clear (for counts); the reason, which may be health data, is sealed.
            try db.execute(
                sql: """
                    CREATE TABLE eligibility (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        id_hmac BLOB NOT NULL,
                        class TEXT NOT NULL,
                        commune_code TEXT NOT NULL,
                        recorded_day TEXT NOT NULL,
                        operator_id TEXT NOT NULL,
                        confirmed INTEGER NOT NULL,
                        key_id INTEGER NOT NULL,
                        payload BLOB NOT NULL
                    ) STRICT
                    """)
            try db.execute(sql: "CREATE INDEX eligibility_commune ON eligibility(commune_code, class)")
            try db.execute(sql: "CREATE INDEX eligibility_citizen ON eligibility(id_hmac)")
        }

        migrator.registerMigration("v2-status-counts") { db in
            // Counts per status kept by triggers in the same transaction as each row change, so the status page
            // reads a handful of rows instead of scanning an index of every application.
            try db.execute(
                sql: """
                    CREATE TABLE status_count (
                        local_state TEXT NOT NULL,
                        central_state TEXT NOT NULL,
                        n INTEGER NOT NULL,
                        PRIMARY KEY (local_state, central_state)
                    ) STRICT, WITHOUT ROWID
                    """)
            try db.execute(
                sql: """
                    INSERT INTO status_count (local_state, central_state, n)
                    SELECT local_state, central_state, COUNT(*) FROM application GROUP BY local_state, central_state
                    """)
            let up = """
                INSERT INTO status_count (local_state, central_state, n) VALUES (NEW.local_state, NEW.central_state, 1)
                ON CONFLICT (local_state, central_state) DO UPDATE SET n = n + 1;
                """
            let down = """
                UPDATE status_count SET n = n - 1
                WHERE local_state = OLD.local_state AND central_state = OLD.central_state;
                """
            try db.execute(sql: "CREATE TRIGGER status_count_insert AFTER INSERT ON application BEGIN \(up) END")
            try db.execute(sql: "CREATE TRIGGER status_count_delete AFTER DELETE ON application BEGIN \(down) END")
            try db.execute(
                sql: """
                    CREATE TRIGGER status_count_update AFTER UPDATE OF local_state, central_state ON application
                    WHEN OLD.local_state <> NEW.local_state OR OLD.central_state <> NEW.central_state
                    BEGIN \(down) \(up) END
                    """)
        }

        migrator.registerMigration("v3-central-receipts") { db in
            // The central's signed answers that recorded a decision (accepted, activated, rejected), kept as
            // evidence: the retention purge removes a payload only when a signed acceptance is recorded here.
            try db.execute(
                sql: """
                    CREATE TABLE central_answer (
                        sha256 BLOB PRIMARY KEY NOT NULL,
                        signed_message BLOB NOT NULL,
                        body BLOB NOT NULL,
                        signature BLOB NOT NULL,
                        key_id TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) STRICT
                    """)
            try db.execute(
                sql: """
                    CREATE TABLE central_receipt (
                        application_id TEXT NOT NULL,
                        central_state TEXT NOT NULL,
                        answer_sha256 BLOB NOT NULL REFERENCES central_answer(sha256),
                        PRIMARY KEY (application_id, central_state)
                    ) STRICT, WITHOUT ROWID
                    """)
        }

        migrator.registerMigration("v3-audit-uid") { db in
            // The local account (SO_PEERCRED uid) behind each audit line written through the control socket.
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN actor_uid INTEGER")
        }

        migrator.registerMigration("v3-survey") { db in
            // The seed table's figures the station cannot know (population 14+, level 1, level 2 before the
            // station), imported per commune and dated; and the communes an import names.
            try db.execute(
                sql: """
                    CREATE TABLE commune (
                        code TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        registered_at INTEGER NOT NULL
                    ) STRICT
                    """)
            try db.execute(
                sql: """
                    CREATE TABLE commune_survey (
                        commune_code TEXT NOT NULL REFERENCES commune(code),
                        as_of TEXT NOT NULL,
                        citizens_14_plus INTEGER NOT NULL CHECK (citizens_14_plus >= 0),
                        level1_activated INTEGER NOT NULL CHECK (level1_activated >= 0),
                        level1_pending INTEGER NOT NULL CHECK (level1_pending >= 0),
                        level2_activated INTEGER NOT NULL CHECK (level2_activated >= 0),
                        level2_pending INTEGER NOT NULL CHECK (level2_pending >= 0),
                        imported_at INTEGER NOT NULL,
                        imported_by TEXT NOT NULL,
                        PRIMARY KEY (commune_code, as_of)
                    ) STRICT, WITHOUT ROWID
                    """)
            // When C06 reported an application's final word (activated or rejected), and on which Vietnamese
            // day: activations count on the day the central reports them, not the day of capture. Kept by
            // triggers from the state columns (the application row itself is not widened: its payload is last).
            try db.execute(
                sql: """
                    CREATE TABLE central_outcome (
                        application_id TEXT PRIMARY KEY NOT NULL,
                        state TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        day TEXT NOT NULL
                    ) STRICT, WITHOUT ROWID
                    """)
            // Vietnam has kept UTC+7 without daylight saving since 1975: the day is the UTC date of at + 7 h.
            let record = """
                INSERT OR REPLACE INTO central_outcome (application_id, state, at, day)
                VALUES (NEW.id, NEW.central_state, NEW.updated_at,
                    date(NEW.updated_at / 1000 + 25200, 'unixepoch'));
                """
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_update AFTER UPDATE OF central_state ON application
                    WHEN NEW.central_state IN ('activated', 'rejected') AND OLD.central_state <> NEW.central_state
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_insert AFTER INSERT ON application
                    WHEN NEW.central_state IN ('activated', 'rejected')
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_delete AFTER DELETE ON application
                    BEGIN DELETE FROM central_outcome WHERE application_id = OLD.id; END
                    """)
            // The seed table reads these four columns of every application since a survey: covering, so the scan
            // never touches the rows themselves (their sealed payloads make the table pages large).
            try db.execute(
                sql: "CREATE INDEX application_report ON application(commune_code, captured_day, local_state, id)")
            // Rows already final: the time of the audited change when there is one, else the last update.
            try db.execute(
                sql: """
                    INSERT INTO central_outcome (application_id, state, at, day)
                    SELECT id, central_state, at, date(at / 1000 + 25200, 'unixepoch') FROM (
                        SELECT a.id, a.central_state, COALESCE(
                            (SELECT MIN(u.at) FROM audit u
                             WHERE u.application_id = a.id AND u.to_status LIKE '%/' || a.central_state),
                            a.updated_at) AS at
                        FROM application a WHERE a.central_state IN ('activated', 'rejected'))
                    """)
        }

        migrator.registerMigration("v4-cleansing") { db in
            // The health desk's data-cleansing cases (insurance record vs chip). In clear: a keyed hash of the
            // case (citizen, field, both values: each case once), of the ID number, the field and the day; the
            // ID number and both values are sealed.
            try db.execute(
                sql: """
                    CREATE TABLE cleansing (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        case_hmac BLOB NOT NULL UNIQUE,
                        id_hmac BLOB NOT NULL,
                        field TEXT NOT NULL,
                        recorded_at INTEGER NOT NULL,
                        recorded_day TEXT NOT NULL,
                        key_id INTEGER NOT NULL,
                        payload BLOB NOT NULL
                    ) STRICT
                    """)
            try db.execute(sql: "CREATE INDEX cleansing_day ON cleansing(recorded_day, seq)")
        }

        migrator.registerMigration("v4-desk-checks") { db in
            // The facility's daily figure: check-ins per Vietnamese day and method (counts only).
            try db.execute(
                sql: """
                    CREATE TABLE desk_tally (
                        day TEXT NOT NULL,
                        method TEXT NOT NULL,
                        n INTEGER NOT NULL,
                        PRIMARY KEY (day, method)
                    ) STRICT, WITHOUT ROWID
                    """)
            // One audit line per desk check: a keyed hash of the ID number (the index key's, as `application`),
            // the time, verdict, method and client; removed after the retention.
            try db.execute(
                sql: """
                    CREATE TABLE desk_check (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        at INTEGER NOT NULL,
                        id_hmac BLOB,
                        verdict TEXT NOT NULL,
                        method TEXT NOT NULL,
                        client TEXT NOT NULL
                    ) STRICT
                    """)
            try db.execute(sql: "CREATE INDEX desk_check_at ON desk_check(at)")
        }

        migrator.registerMigration("v4-operators") { db in
            // The officers a supervisor manages: the local account (the name SO_PEERCRED gives, what applications
            // record as `operator_id`), staff number, unit, team and commune in clear for the figures; the full
            // name sealed with the payload key like the applications' personal data.
            try db.execute(
                sql: """
                    CREATE TABLE operator (
                        account TEXT PRIMARY KEY NOT NULL,
                        staff_number TEXT NOT NULL,
                        unit TEXT NOT NULL,
                        team TEXT NOT NULL,
                        commune_code TEXT NOT NULL,
                        name_key_id INTEGER NOT NULL,
                        name_sealed BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        created_by TEXT NOT NULL,
                        disabled_at INTEGER,
                        disabled_by TEXT
                    ) STRICT
                    """)
            try db.execute(sql: "CREATE UNIQUE INDEX operator_staff_number ON operator(staff_number)")
        }

        migrator.registerMigration("v5-priority-group") { db in
            // The campaign priority group of each application (served first; the reports count by it), in clear
            // beside the row rather than in it: the application row's sealed payload stays its last column. Rows
            // from before this migration have none (their group is only in the sealed payload).
            try db.execute(
                sql: """
                    CREATE TABLE application_priority (
                        application_id TEXT PRIMARY KEY NOT NULL,
                        priority_group TEXT NOT NULL
                    ) STRICT, WITHOUT ROWID
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER application_priority_delete AFTER DELETE ON application
                    BEGIN DELETE FROM application_priority WHERE application_id = OLD.id; END
                    """)
        }

        migrator.registerMigration("v6-application-reference") { db in
            // The short reference on the citizen's receipt (`ShortReference`), unique on the station. A table of
            // its own rather than a column: `application`'s last column is the large sealed payload, and a column
            // added after it would be read through the payload's overflow pages by every listing.
            try db.execute(
                sql: """
                    CREATE TABLE application_reference (
                        reference TEXT PRIMARY KEY NOT NULL,
                        application_id TEXT NOT NULL UNIQUE REFERENCES application(id) ON DELETE CASCADE
                    ) STRICT, WITHOUT ROWID
                    """)
            // Applications taken before references existed get one now.
            for id in try String.fetchAll(db, sql: "SELECT id FROM application ORDER BY captured_at, id") {
                try ApplicationQueue.assignReference(db, to: id, from: { ShortReference() })
            }
        }

        migrator.registerMigration("v7-outbound-reports") { db in
            // The daily and weekly reports for the central, frozen when produced (issue 22, item 7): one row per
            // report id (`daily-YYYY-MM-DD`, `weekly-YYYY-MM-DD`), so a retry or a restart never makes a second
            // one. The report's JSON is sealed with the payload key (it names officers); `content_sha256` is the
            // SHA-256 of that JSON, the central's check that a resend is the same report.
            try db.execute(
                sql: """
                    CREATE TABLE outbound_report (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        period_from TEXT NOT NULL,
                        period_through TEXT NOT NULL,
                        produced_at INTEGER NOT NULL,
                        content_sha256 TEXT NOT NULL,
                        key_id INTEGER NOT NULL,
                        sealed BLOB NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        sent_at INTEGER,
                        refused TEXT
                    ) STRICT
                    """)
        }

        migrator.registerMigration("v8-key-rotation") { db in
            // An audit note re-sealed under a newer key: the chained audit row keeps its original bytes (the chain
            // covers them), the copy is what opens once the older key is destroyed.
            try db.execute(
                sql: """
                    CREATE TABLE audit_note_reseal (
                        seq INTEGER PRIMARY KEY NOT NULL REFERENCES audit(seq),
                        key_id INTEGER NOT NULL,
                        sealed BLOB NOT NULL
                    ) STRICT
                    """)
            // What a rotation counts and re-seals: rows under an older key.
            try db.execute(sql: "CREATE INDEX application_key ON application(key_id)")
            try db.execute(sql: "CREATE INDEX audit_noted ON audit(seq) WHERE note_sealed IS NOT NULL")
            // Nothing is written under a key the store does not hold (`key_check`): a payload sealed under a key
            // destroyed meanwhile would never open again, so the database refuses it.
            let sealed = [
                ("application", "key_id"), ("eligibility", "key_id"), ("cleansing", "key_id"),
                ("operator", "name_key_id"), ("audit", "note_key_id"), ("audit_note_reseal", "key_id"),
            ]
            for (table, column) in sealed {
                let unknown = """
                    WHEN NEW.\(column) IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM key_check WHERE key_id = NEW.\(column))
                    BEGIN SELECT RAISE(ABORT, 'sealed under a key the store does not hold'); END
                    """
                try db.execute(sql: "CREATE TRIGGER \(table)_known_key_insert BEFORE INSERT ON \(table) \(unknown)")
                if table != "audit" {
                    try db.execute(
                        sql:
                            "CREATE TRIGGER \(table)_known_key_update BEFORE UPDATE OF \(column) ON \(table) \(unknown)"
                    )
                }
            }
        }

        migrator.registerMigration("v9-hamlet") { db in
            // The hamlet (thôn, ấp, bản, tổ dân phố) an application or a refusal was taken for, chosen per intake
            // session from the communes and hamlets the station is configured for (issue 19, item 7); the reports
            // and the door-to-door lists group by it (issue 22). A place name, not personal data, kept in clear
            // beside the rows: the rows' sealed payloads stay their last columns. Rows without a hamlet have none.
            try db.execute(
                sql: """
                    CREATE TABLE application_hamlet (
                        application_id TEXT PRIMARY KEY NOT NULL REFERENCES application(id) ON DELETE CASCADE,
                        hamlet TEXT NOT NULL
                    ) STRICT, WITHOUT ROWID
                    """)
            try db.execute(sql: "CREATE INDEX application_hamlet_name ON application_hamlet(hamlet)")
            try db.execute(
                sql: """
                    CREATE TABLE eligibility_hamlet (
                        seq INTEGER PRIMARY KEY NOT NULL REFERENCES eligibility(seq) ON DELETE CASCADE,
                        hamlet TEXT NOT NULL
                    ) STRICT
                    """)
        }

        migrator.registerMigration("v10-invitations") { db in
            // A hamlet's imported list of citizens invited to a registration point on a day (issue 22, item 5): the
            // station marks who came by matching the keyed hash of the ID number against applications and refusals.
            // In clear only the commune, the hamlet, the day and that hash; the ID number and name are sealed. A
            // list is (commune, hamlet, day): importing it again replaces it.
            try db.execute(
                sql: """
                    CREATE TABLE invitation (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        commune_code TEXT NOT NULL,
                        hamlet TEXT NOT NULL,
                        invited_day TEXT NOT NULL,
                        id_hmac BLOB NOT NULL,
                        imported_at INTEGER NOT NULL,
                        key_id INTEGER NOT NULL,
                        payload BLOB NOT NULL,
                        UNIQUE (commune_code, hamlet, invited_day, id_hmac)
                    ) STRICT
                    """)
            try db.execute(sql: "CREATE INDEX invitation_citizen ON invitation(id_hmac)")
            try db.execute(sql: "CREATE INDEX invitation_key ON invitation(key_id)")
            let unknown = """
                WHEN NOT EXISTS (SELECT 1 FROM key_check WHERE key_id = NEW.key_id)
                BEGIN SELECT RAISE(ABORT, 'sealed under a key the store does not hold'); END
                """
            try db.execute(sql: "CREATE TRIGGER invitation_known_key_insert BEFORE INSERT ON invitation \(unknown)")
            try db.execute(
                sql: "CREATE TRIGGER invitation_known_key_update BEFORE UPDATE OF key_id ON invitation \(unknown)")
        }

        migrator.registerMigration("v11-report-indexes") { db in
            // The commune and capture day of each application with C06's final word, beside that word: the seed
            // table counts what C06 decided among a commune's applications since its survey without looking up
            // each application (issue 22's bench).
            // An application's commune and capture day never change once taken; a cancelled one never gets a
            // final word (cancelling is only before upload).
            try db.execute(sql: "ALTER TABLE central_outcome ADD COLUMN commune_code TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE central_outcome ADD COLUMN captured_day TEXT NOT NULL DEFAULT ''")
            try db.execute(
                sql: """
                    UPDATE central_outcome SET (commune_code, captured_day) =
                        (SELECT a.commune_code, a.captured_day FROM application a WHERE a.id = application_id)
                    WHERE EXISTS (SELECT 1 FROM application a WHERE a.id = application_id)
                    """)
            let record = """
                INSERT OR REPLACE INTO central_outcome (application_id, state, at, day, commune_code, captured_day)
                VALUES (NEW.id, NEW.central_state, NEW.updated_at,
                    date(NEW.updated_at / 1000 + 25200, 'unixepoch'), NEW.commune_code, NEW.captured_day);
                """
            try db.execute(sql: "DROP TRIGGER central_outcome_update")
            try db.execute(sql: "DROP TRIGGER central_outcome_insert")
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_update AFTER UPDATE OF central_state ON application
                    WHEN NEW.central_state IN ('activated', 'rejected') AND OLD.central_state <> NEW.central_state
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_insert AFTER INSERT ON application
                    WHEN NEW.central_state IN ('activated', 'rejected')
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: "CREATE INDEX central_outcome_place ON central_outcome(commune_code, captured_day, day, state)")
            // The day's breakdowns (bundle, point, priority group, hamlet, officer) and the trend read the applications taken
            // on a few days and C06's words of a few days: without these the planner scanned every application
            // row (1.1 s for one day's breakdowns at 100,000 applications).
            try db.execute(
                sql: """
                    CREATE INDEX application_day
                        ON application(captured_day, local_state, bundle, point_kind, central_state, commune_code,
                            operator_id, id)
                    """)
            try db.execute(sql: "CREATE INDEX central_outcome_day ON central_outcome(state, day)")
            // C06's words of a period joined to their applications' bundle, point, commune and reason without
            // reading the application rows (the breakdowns name it: `INDEXED BY`, the planner prefers the unique
            // id index, which is not covering).
            try db.execute(
                sql: """
                    CREATE INDEX application_id_report
                        ON application(id, bundle, point_kind, commune_code, central_state, central_reason)
                    """)
            // What is on hold or needs attention, by state and day, without reading every such row.
            try db.execute(sql: "CREATE INDEX application_state_day ON application(local_state, captured_day)")
        }

        migrator.registerMigration("v12-report-counts") { db in
            // The seed table's station figures kept as counts per commune and day by triggers, in the transaction
            // that changes an application: the seed table then sums a few thousand rows instead of counting every
            // application and every C06 word since each commune's survey (55 ms at 100,000 applications, most of
            // the daily report's answer; issue 22's bench).
            try db.execute(
                sql: """
                    CREATE TABLE commune_day_taken (
                        commune_code TEXT NOT NULL,
                        captured_day TEXT NOT NULL,
                        taken INTEGER NOT NULL,
                        PRIMARY KEY (commune_code, captured_day)
                    ) STRICT, WITHOUT ROWID
                    """)
            try db.execute(
                sql: """
                    CREATE TABLE commune_day_decided (
                        commune_code TEXT NOT NULL,
                        captured_day TEXT NOT NULL,
                        day TEXT NOT NULL,
                        decided INTEGER NOT NULL,
                        activated INTEGER NOT NULL,
                        PRIMARY KEY (commune_code, captured_day, day)
                    ) STRICT, WITHOUT ROWID
                    """)
            // Taken: applications not cancelled, by commune and capture day. Decided: C06's final words, by the
            // application's commune and capture day and the day C06 said it.
            func taken(_ row: String, _ sign: String) -> String {
                """
                INSERT INTO commune_day_taken (commune_code, captured_day, taken)
                SELECT \(row).commune_code, \(row).captured_day, \(sign)1 WHERE \(row).local_state <> 'cancelled'
                ON CONFLICT (commune_code, captured_day) DO UPDATE SET taken = taken + excluded.taken;
                """
            }
            func decided(_ row: String, _ sign: String) -> String {
                """
                INSERT INTO commune_day_decided (commune_code, captured_day, day, decided, activated)
                VALUES (\(row).commune_code, \(row).captured_day, \(row).day, \(sign)1,
                    \(sign)(\(row).state = 'activated'))
                ON CONFLICT (commune_code, captured_day, day) DO UPDATE
                    SET decided = decided + excluded.decided, activated = activated + excluded.activated;
                """
            }
            try db.execute(
                sql:
                    "CREATE TRIGGER commune_day_taken_insert AFTER INSERT ON application BEGIN \(taken("NEW", "+")) END"
            )
            try db.execute(
                sql:
                    "CREATE TRIGGER commune_day_taken_delete AFTER DELETE ON application BEGIN \(taken("OLD", "-")) END"
            )
            try db.execute(
                sql: """
                    CREATE TRIGGER commune_day_taken_update
                    AFTER UPDATE OF local_state, commune_code, captured_day ON application
                    BEGIN \(taken("OLD", "-")) \(taken("NEW", "+")) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER commune_day_decided_insert AFTER INSERT ON central_outcome
                    BEGIN \(decided("NEW", "+")) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER commune_day_decided_delete AFTER DELETE ON central_outcome
                    BEGIN \(decided("OLD", "-")) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER commune_day_decided_update AFTER UPDATE ON central_outcome
                    BEGIN \(decided("OLD", "-")) \(decided("NEW", "+")) END
                    """)
            // An application's new final word replaces its old one by a delete and an insert, so that both tally
            // triggers fire (the REPLACE of v11's triggers deletes without firing delete triggers).
            let record = """
                DELETE FROM central_outcome WHERE application_id = NEW.id;
                INSERT INTO central_outcome (application_id, state, at, day, commune_code, captured_day)
                VALUES (NEW.id, NEW.central_state, NEW.updated_at,
                    date(NEW.updated_at / 1000 + 25200, 'unixepoch'), NEW.commune_code, NEW.captured_day);
                """
            try db.execute(sql: "DROP TRIGGER central_outcome_update")
            try db.execute(sql: "DROP TRIGGER central_outcome_insert")
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_update AFTER UPDATE OF central_state ON application
                    WHEN NEW.central_state IN ('activated', 'rejected') AND OLD.central_state <> NEW.central_state
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: """
                    CREATE TRIGGER central_outcome_insert AFTER INSERT ON application
                    WHEN NEW.central_state IN ('activated', 'rejected')
                    BEGIN \(record) END
                    """)
            try db.execute(
                sql: """
                    INSERT INTO commune_day_taken (commune_code, captured_day, taken)
                    SELECT commune_code, captured_day, COUNT(*) FROM application WHERE local_state <> 'cancelled'
                    GROUP BY commune_code, captured_day
                    """)
            try db.execute(
                sql: """
                    INSERT INTO commune_day_decided (commune_code, captured_day, day, decided, activated)
                    SELECT commune_code, captured_day, day, COUNT(*), SUM(state = 'activated') FROM central_outcome
                    GROUP BY commune_code, captured_day, day
                    """)
        }

        return migrator
    }
}
