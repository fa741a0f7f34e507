# The dataset of bench/run, written straight into the services' own tables after their
# migrations ran. Source it; do not run it. Every function prints SQL for the mariadb client.
#
# Graduates get explicit ids: 1 to SCHOOL_GRADUATES belong to the benchmark school (the demo
# school of tools/demo/load_demo.py, class CLASS_YEAR), the ids above to other schools of
# OTHER_SCHOOL_SIZE graduates each. Rows come from MariaDB's Sequence engine (seq_1_to_N) with
# INSERT ... SELECT, one statement per 50,000 rows.

# Prints the INSERTs of graduates FIRST to LAST (inclusive) into sync's graduates and ledger tables.
bench_sql_graduates() {
  local first=$1 last=$2 from to
  local chunk=50000
  cat <<SQL
USE quxiang_sync;
SET @now = UTC_TIMESTAMP(6);
INSERT IGNORE INTO schools (school_code, school_id, backfill_cursor, created_at, updated_at)
  VALUES ('$SCHOOL_CODE', $SCHOOL_ID, NULL, @now, @now);
SQL
  for ((from = first; from <= last; from += chunk)); do
    to=$((from + chunk - 1))
    if [ "$to" -gt "$last" ]; then to=$last; fi
    # Ids above SCHOOL_GRADUATES go to school 1 + (id - SCHOOL_GRADUATES - 1) / OTHER_SCHOOL_SIZE
    # of the other schools, whose accounts ids start at 1,000,000 so they never meet a real one.
    cat <<SQL
INSERT IGNORE INTO schools (school_code, school_id, backfill_cursor, created_at, updated_at)
  SELECT DISTINCT CONCAT('49', LPAD(1 + (seq - $SCHOOL_GRADUATES - 1) DIV $OTHER_SCHOOL_SIZE, 8, '0')),
         1000000 + 1 + (seq - $SCHOOL_GRADUATES - 1) DIV $OTHER_SCHOOL_SIZE, NULL, @now, @now
  FROM seq_${from}_to_${to} WHERE seq > $SCHOOL_GRADUATES;
INSERT INTO graduates (id, school_id, class_year, graduate_key, id_number, name, gender_code, gender,
                       school_code, school_name, education_level_code, education_level, major_code, major_name,
                       training_mode_code, training_mode, department, class_name, student_number, fingerprint,
                       state, roster_sequence, created_at, updated_at)
  SELECT seq,
         IF(seq <= $SCHOOL_GRADUATES, $SCHOOL_ID, 1000000 + 1 + (seq - $SCHOOL_GRADUATES - 1) DIV $OTHER_SCHOOL_SIZE),
         $CLASS_YEAR, CONCAT('bench-', seq), CONCAT('11010120000101', LPAD(seq MOD 10000, 4, '0'), '-', seq),
         CONCAT('毕业生', seq), 1 + seq MOD 2, IF(seq MOD 2 = 0, '男', '女'),
         IF(seq <= $SCHOOL_GRADUATES, '$SCHOOL_CODE',
            CONCAT('49', LPAD(1 + (seq - $SCHOOL_GRADUATES - 1) DIV $OTHER_SCHOOL_SIZE, 8, '0'))),
         '基准大学', ELT(1 + seq MOD 3, '31', '41', '11'), ELT(1 + seq MOD 3, '本科生毕业', '专科生毕业', '硕士生毕业'),
         LPAD(80000 + seq MOD 40, 6, '0'), CONCAT('专业', seq MOD 40), '1', '非定向',
         ELT(1 + seq MOD 15, '文学院', '历史学院', '哲学系', '外国语学院', '经济学院', '法学院', '数学科学学院',
             '物理学院', '化学与分子工程学院', '生命科学学院', '计算机学院', '电子信息工程学院',
             '环境科学与工程学院', '新闻与传播学院', '马克思主义学院'),
         CONCAT('班级', seq MOD 300), CONCAT('S', seq), SHA2(seq, 256), 1, seq, @now, @now
  FROM seq_${from}_to_${to};
INSERT INTO ledger (graduate_id, updated_at) SELECT seq, @now FROM seq_${from}_to_${to};
SQL
  done
}

# Prints the recount of every statistics counter, the query of sync's migration 0004.
bench_sql_recount() {
  cat <<'SQL'
USE quxiang_sync;
DELETE FROM statistics_counters;
INSERT INTO statistics_counters (school_id, class_year, department, dimension, dimension_value, destination_code,
                                 signed, display_name, graduates)
SELECT g.school_id, g.class_year, g.department, d.dimension,
       CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_code WHEN 3 THEN g.education_level_code
                        ELSE g.gender_code END,
       IF(l.state = 3, l.destination_code, '70'), l.state = 3 AND l.holder_flow IN (1, 2, 3),
       MAX(CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_name WHEN 3 THEN g.education_level
                            ELSE g.gender END),
       COUNT(*)
FROM graduates g
JOIN ledger l ON l.graduate_id = g.id
JOIN (SELECT 1 AS dimension UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) d
WHERE g.state = 1
GROUP BY g.school_id, g.class_year, g.department, d.dimension,
         CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_code WHEN 3 THEN g.education_level_code
                          ELSE g.gender_code END,
         IF(l.state = 3, l.destination_code, '70'), l.state = 3 AND l.holder_flow IN (1, 2, 3);
SQL
}

# Prints the review queue: QUEUE_RECORDS accepted online signings of graduates 1 to QUEUE_RECORDS,
# waiting for the school's review. They are in the state that OnlineSigning::Answer leaves: version
# 2, a SUBMIT row in review_history, the graduate claimed in sync's ledger by the record, and the
# settings usage counting the records in review. EMPLOYER_ID is the demo employer's accounts id.
bench_sql_queue() {
  cat <<SQL
SET @now = UTC_TIMESTAMP(6);
INSERT INTO quxiang_signing.online_signings
    (id, school_id, class_year, graduate_id, graduate_name, student_number, department, employer_id, employer_name,
     employer_credit_code, invitation_state, review_state, review_stage, answer_deadline, open_marker, version,
     created_at, updated_at)
  SELECT g.id, g.school_id, g.class_year, g.id, g.name, g.student_number, g.department, e.id, e.name, e.credit_code,
         'ACCEPTED', 'PENDING', '$FIRST_STAGE', @now + INTERVAL 30 DAY, NULL, 2, @now, @now
  FROM quxiang_sync.graduates g JOIN quxiang_accounts.employers e ON e.id = $EMPLOYER_ID
  WHERE g.id BETWEEN 1 AND $QUEUE_RECORDS;
INSERT INTO quxiang_signing.review_history
    (flow, record_id, version, action, stage, from_state, to_state, to_stage, actor_kind, reviewer_id, reviewer_name,
     request_id, occurred_at)
  SELECT 'signing.online', CAST(id AS CHAR), 2, 'SUBMIT', '', 'PENDING', 'PENDING', '$FIRST_STAGE', 'GRADUATE',
         CAST(graduate_id AS CHAR), graduate_name, CONCAT('bench-accept-', id), @now
  FROM quxiang_signing.online_signings WHERE id BETWEEN 1 AND $QUEUE_RECORDS;
INSERT INTO quxiang_signing.settings_usage (school_id, class_year, first_acted_at, records_in_review)
  VALUES ($SCHOOL_ID, $CLASS_YEAR, @now, $QUEUE_RECORDS)
  ON DUPLICATE KEY UPDATE first_acted_at = COALESCE(first_acted_at, @now), records_in_review = records_in_review + $QUEUE_RECORDS;
UPDATE quxiang_sync.ledger SET state = 2, holder_flow = 1, holder_record_id = CAST(graduate_id AS CHAR),
       claimed_at = @now, version = version + 1
  WHERE graduate_id BETWEEN 1 AND $QUEUE_RECORDS;
SQL
}
