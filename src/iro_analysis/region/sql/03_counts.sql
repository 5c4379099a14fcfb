-- Every SQL KPI's numerator (the count, for counts) and denominator per council, for the
-- year in `params`. Definitions: the docstrings in kpis/cla.py, reviews.py, cp.py, disputes.py.
CREATE OR REPLACE TEMPORARY TABLE kpi_counts AS
WITH prm AS (SELECT * FROM params),
cla_end AS (
    SELECT e.la_code, COUNT(DISTINCT e.CHILD) AS n
    FROM cla_episodes AS e CROSS JOIN prm
    WHERE e.DECOM <= prm.year_end AND (e.DEC IS NULL OR e.DEC > prm.year_end)
    GROUP BY e.la_code
),
cla_during AS (
    SELECT e.la_code, COUNT(DISTINCT e.CHILD) AS n
    FROM cla_episodes AS e CROSS JOIN prm
    WHERE e.DECOM <= prm.year_end AND (e.DEC IS NULL OR e.DEC >= prm.year_start)
    GROUP BY e.la_code
),
-- A period starts with its first episode when that has RNE = 'S' (an episode overlapping an
-- earlier one continues its period whatever its RNE).
cla_started AS (
    SELECT e.la_code, COUNT(DISTINCT e.CHILD) AS n
    FROM cla_episodes AS e CROSS JOIN prm
    WHERE e.k_in_period = 1 AND e.RNE = 'S'
      AND e.DECOM BETWEEN prm.year_start AND prm.year_end
    GROUP BY e.la_code
),
-- A period ends with an episode whose DEC is in the year and is its period's end (no episode
-- of the period open or ending later), REC not X1 and no episode of the same child starting
-- on that DEC.
cla_ceased AS (
    SELECT e.la_code, COUNT(DISTINCT e.CHILD) AS n
    FROM cla_episodes AS e CROSS JOIN prm
    WHERE e.DEC BETWEEN prm.year_start AND prm.year_end
      AND e.DEC = e.period_end
      AND (e.REC IS NULL OR e.REC <> 'X1')
      AND NOT EXISTS (
          SELECT 1 FROM cla_episodes AS f
          WHERE f.la_code = e.la_code AND f.CHILD = e.CHILD AND f.DECOM = e.DEC)
    GROUP BY e.la_code
),
rev AS (
    SELECT
        r.la_code,
        COUNT(*) AS held,
        SUM(CASE WHEN r.on_time THEN 1 ELSE 0 END) AS on_time,
        SUM(CASE WHEN r.assessable THEN 1 ELSE 0 END) AS assessable,
        SUM(CASE WHEN r.REVIEW_CODE IN ('PN1', 'PN2', 'PN3', 'PN5', 'PN6')
                   OR (r.REVIEW_CODE = 'PN4' AND prm.pn4_participates) THEN 1 ELSE 0 END)
            AS participated,
        SUM(CASE WHEN r.REVIEW_CODE IN ('PN1', 'PN2', 'PN3', 'PN4') THEN 1 ELSE 0 END) AS attended,
        SUM(CASE WHEN r.REVIEW_CODE IN ('PN1', 'PN2', 'PN3', 'PN4', 'PN5', 'PN6', 'PN7')
                 THEN 1 ELSE 0 END) AS eligible
    FROM reviews_in_year AS r CROSS JOIN prm
    GROUP BY r.la_code
),
late_children AS (
    SELECT DISTINCT la_code, CHILD FROM reviews_in_year WHERE NOT on_time
),
children_on_time AS (
    SELECT
        o.la_code,
        SUM(CASE WHEN NOT o.overdue AND l.CHILD IS NULL THEN 1 ELSE 0 END) AS n,
        COUNT(*) AS d
    FROM overdue_at_end AS o
    LEFT JOIN late_children AS l ON l.la_code = o.la_code AND l.CHILD = o.CHILD
    WHERE o.wd_in_care >= 20
    GROUP BY o.la_code
),
overdue AS (
    SELECT la_code, SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS n
    FROM overdue_at_end GROUP BY la_code
),
cp_open AS (
    SELECT p.la_code, COUNT(DISTINCT p.LAchildID) AS n
    FROM cp_plans AS p CROSS JOIN prm
    WHERE p.CPPstartDate <= prm.year_end
      AND (p.CPPendDate IS NULL OR p.CPPendDate > prm.year_end)
    GROUP BY p.la_code
),
cp_started AS (
    SELECT p.la_code, COUNT(*) AS n
    FROM cp_plans AS p CROSS JOIN prm
    WHERE p.CPPstartDate BETWEEN prm.year_start AND prm.year_end
    GROUP BY p.la_code
),
cp_ended AS (
    SELECT p.la_code, COUNT(*) AS n
    FROM cp_plans AS p CROSS JOIN prm
    WHERE p.CPPendDate BETWEEN prm.year_start AND prm.year_end
    GROUP BY p.la_code
),
-- Initial conferences: distinct (child, DateOfInitialCPC) from Section47 and CINdetails,
-- each with the latest Section 47 (ICPCnotRequired not true) starting on or before it.
icpc AS (
    SELECT DISTINCT la_code, LAchildID, DateOfInitialCPC
    FROM (
        SELECT la_code, LAchildID, DateOfInitialCPC FROM s47
        UNION ALL
        SELECT la_code, LAchildID, DateOfInitialCPC FROM cin_details
    ) AS u
    WHERE DateOfInitialCPC IS NOT NULL
),
s47_required AS (
    SELECT DISTINCT la_code, LAchildID, S47ActualStartDate
    FROM s47
    WHERE (ICPCnotRequired IS NULL OR NOT ICPCnotRequired)
      AND LAchildID IS NOT NULL AND S47ActualStartDate IS NOT NULL
),
icpc_timed AS (
    SELECT i.la_code, i.LAchildID, i.DateOfInitialCPC, MAX(s.S47ActualStartDate) AS s47_start
    FROM icpc AS i
    LEFT JOIN s47_required AS s
      ON s.la_code = i.la_code AND s.LAchildID = i.LAchildID
     AND s.S47ActualStartDate <= i.DateOfInitialCPC
    GROUP BY i.la_code, i.LAchildID, i.DateOfInitialCPC
),
icpc_year AS (
    SELECT
        t.la_code,
        COUNT(*) AS held,
        SUM(CASE WHEN t.s47_start IS NOT NULL AND ci.cum - cs.cum <= 15 THEN 1 ELSE 0 END)
            AS within,
        SUM(CASE WHEN t.s47_start IS NOT NULL THEN 1 ELSE 0 END) AS follows
    FROM icpc_timed AS t
    CROSS JOIN prm
    LEFT JOIN calendar AS cs ON cs.day = t.s47_start
    LEFT JOIN calendar AS ci ON ci.day = t.DateOfInitialCPC
    WHERE t.DateOfInitialCPC BETWEEN prm.year_start AND prm.year_end
    GROUP BY t.la_code
),
-- Review conferences: first due 3 months after the plan's start (not assessable when the
-- plan started before the census history), each later one 6 months after the previous.
cp_ordinals_from AS (
    SELECT la_code, MAKE_DATE(MIN(year) - 1, 4, 1) AS cutoff
    FROM supplied
    WHERE input = 'cin_census' AND present
    GROUP BY la_code
),
rcpc AS (
    SELECT
        r.la_code, r.LAchildID, r.CPPstartDate, r.CPPreviewDate,
        ROW_NUMBER() OVER (PARTITION BY r.la_code, r.LAchildID, r.CPPstartDate
                           ORDER BY r.CPPreviewDate) AS seq,
        LAG(r.CPPreviewDate) OVER (PARTITION BY r.la_code, r.LAchildID, r.CPPstartDate
                                   ORDER BY r.CPPreviewDate) AS prev_review,
        r.CPPstartDate >= COALESCE(o.cutoff, MAKE_DATE(prm.year - 1, 4, 1)) AS complete
    FROM cp_reviews AS r
    CROSS JOIN prm
    LEFT JOIN cp_ordinals_from AS o ON o.la_code = r.la_code
),
rcpc_year AS (
    SELECT
        r.la_code,
        COUNT(*) AS held,
        SUM(CASE WHEN r.seq > 1 OR r.complete THEN 1 ELSE 0 END) AS assessable,
        SUM(CASE
                WHEN r.seq = 1 AND r.complete
                     AND r.CPPreviewDate <= add_months(r.CPPstartDate, 3) THEN 1
                WHEN r.seq > 1 AND r.CPPreviewDate <= add_months(r.prev_review, 6) THEN 1
                ELSE 0
            END) AS on_time
    FROM rcpc AS r CROSS JOIN prm
    WHERE r.CPPreviewDate BETWEEN prm.year_start AND prm.year_end
    GROUP BY r.la_code
),
-- Disputes raised in the year; resolved within 20 working days among those whose 20th
-- working day falls on or before 31 March.
drp AS (
    SELECT
        d.la_code,
        COUNT(*) AS raised,
        SUM(CASE WHEN d.cohort = 'CLA' THEN 1 ELSE 0 END) AS raised_cla,
        SUM(CASE WHEN d.highest_stage >= 2 THEN 1 ELSE 0 END) AS escalated,
        SUM(CASE WHEN ce.cum - cr.cum >= 20 THEN 1 ELSE 0 END) AS due_by_end,
        SUM(CASE WHEN ce.cum - cr.cum >= 20 AND cv.cum - cr.cum <= 20 THEN 1 ELSE 0 END)
            AS resolved_in_time
    FROM disputes AS d
    CROSS JOIN prm
    LEFT JOIN calendar AS cr ON cr.day = d.raised_date
    LEFT JOIN calendar AS cv ON cv.day = d.resolved_date
    LEFT JOIN calendar AS ce ON ce.day = prm.year_end
    WHERE d.raised_date BETWEEN prm.year_start AND prm.year_end
    GROUP BY d.la_code
),
councils AS (SELECT DISTINCT la_code FROM supplied)
-- One row per (council, KPI): the count as numerator for counts. Councils or KPIs with no
-- row here count 0 (04_kpis.sql).
SELECT la_code, 'cla_at_31_march' AS kpi_id, n AS numerator, CAST(NULL AS BIGINT) AS denominator
FROM cla_end
UNION ALL SELECT la_code, 'cla_during_year', n, NULL FROM cla_during
UNION ALL SELECT la_code, 'cla_started', n, NULL FROM cla_started
UNION ALL SELECT la_code, 'cla_ceased', n, NULL FROM cla_ceased
UNION ALL SELECT la_code, 'cla_reviews_held', held, NULL FROM rev
UNION ALL SELECT la_code, 'cla_reviews_on_time_pct', on_time, assessable FROM rev
UNION ALL SELECT la_code, 'cla_reviews_not_assessable', held - assessable, NULL FROM rev
UNION ALL SELECT la_code, 'cla_children_reviews_on_time_pct', n, d FROM children_on_time
UNION ALL SELECT la_code, 'cla_reviews_overdue_at_31_march', n, NULL FROM overdue
UNION ALL SELECT la_code, 'cla_participation_pct', participated, eligible FROM rev
UNION ALL SELECT la_code, 'cla_review_attendance_pct', attended, eligible FROM rev
UNION ALL SELECT la_code, 'cp_plans_at_31_march', n, NULL FROM cp_open
UNION ALL SELECT la_code, 'cp_plans_started', n, NULL FROM cp_started
UNION ALL SELECT la_code, 'cp_plans_ended', n, NULL FROM cp_ended
UNION ALL SELECT la_code, 'icpc_held', held, NULL FROM icpc_year
UNION ALL SELECT la_code, 'icpc_within_15wd_pct', within, follows FROM icpc_year
UNION ALL SELECT la_code, 'rcpc_held', held, NULL FROM rcpc_year
UNION ALL SELECT la_code, 'rcpc_on_time_pct', on_time, assessable FROM rcpc_year
UNION ALL SELECT la_code, 'drp_raised', raised, NULL FROM drp
UNION ALL SELECT c.la_code, 'drp_raised_per_100_cla', drp.raised_cla, cla_during.n
FROM councils AS c
LEFT JOIN drp ON drp.la_code = c.la_code
LEFT JOIN cla_during ON cla_during.la_code = c.la_code
UNION ALL SELECT la_code, 'drp_resolved_within_20wd_pct', resolved_in_time, due_by_end FROM drp
UNION ALL SELECT la_code, 'drp_escalated_pct', escalated, raised FROM drp;
