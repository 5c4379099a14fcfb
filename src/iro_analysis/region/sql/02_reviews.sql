-- Looked-after reviews with their period, ordinal and on-time flag (reg. 33;
-- kpis/timescales.py review_timeliness). Short-break-only reviews are dropped.
-- wd(a, b) = calendar.cum(b) - calendar.cum(a): working days after a up to and including b.
CREATE OR REPLACE TEMPORARY TABLE timed_reviews AS
WITH rv AS (
    SELECT la_code, CHILD, REVIEW, REVIEW_CODE FROM reviews
),
-- The latest period of the child starting on or before the review (a review on the day
-- one period ends and the next starts belongs to the later one).
latest_period AS (
    SELECT
        rv.la_code, rv.CHILD, rv.REVIEW, p.period, p.period_start, p.start_known, p.period_end,
        ROW_NUMBER() OVER (
            PARTITION BY rv.la_code, rv.CHILD, rv.REVIEW ORDER BY p.period_start DESC
        ) AS k
    FROM rv
    JOIN periods AS p
      ON p.la_code = rv.la_code AND p.CHILD = rv.CHILD AND p.period_start <= rv.REVIEW
),
in_period AS (
    SELECT la_code, CHILD, REVIEW, period, period_start, start_known
    FROM latest_period
    WHERE k = 1 AND (period_end IS NULL OR REVIEW <= period_end)
),
-- The latest short-break episode starting on or before the review, if the review is in it.
latest_short_break AS (
    SELECT
        rv.la_code, rv.CHILD, rv.REVIEW, s.DEC,
        ROW_NUMBER() OVER (
            PARTITION BY rv.la_code, rv.CHILD, rv.REVIEW ORDER BY s.DECOM DESC
        ) AS k
    FROM rv
    JOIN short_breaks AS s
      ON s.la_code = rv.la_code AND s.CHILD = rv.CHILD AND s.DECOM <= rv.REVIEW
),
in_short_break AS (
    SELECT la_code, CHILD, REVIEW
    FROM latest_short_break
    WHERE k = 1 AND (DEC IS NULL OR REVIEW <= DEC)
),
-- The review history starts 1 April of the year before the earliest year supplying reviews.
ordinals_from AS (
    SELECT la_code, MAKE_DATE(MIN(year) - 1, 4, 1) AS cutoff
    FROM supplied
    WHERE input = 'reviews' AND present
    GROUP BY la_code
),
placed AS (
    SELECT
        rv.la_code, rv.CHILD, rv.REVIEW, rv.REVIEW_CODE,
        ip.period, ip.period_start,
        ip.period IS NOT NULL AS in_period,
        COALESCE(ip.start_known, FALSE) AS start_known,
        COALESCE(
            ip.period IS NOT NULL AND ip.start_known
            AND ip.period_start >= COALESCE(o.cutoff, MAKE_DATE(prm.year - 1, 4, 1)),
            FALSE
        ) AS ordinals_known
    FROM rv
    CROSS JOIN params AS prm
    LEFT JOIN in_period AS ip
      ON ip.la_code = rv.la_code AND ip.CHILD = rv.CHILD AND ip.REVIEW = rv.REVIEW
    LEFT JOIN in_short_break AS sb
      ON sb.la_code = rv.la_code AND sb.CHILD = rv.CHILD AND sb.REVIEW = rv.REVIEW
    LEFT JOIN ordinals_from AS o ON o.la_code = rv.la_code
    WHERE ip.period IS NOT NULL OR sb.REVIEW IS NULL
),
sequenced AS (
    SELECT
        placed.*,
        CASE WHEN in_period THEN ROW_NUMBER() OVER (
            PARTITION BY la_code, CHILD, period ORDER BY REVIEW) END AS seq,
        CASE WHEN in_period THEN LAG(REVIEW) OVER (
            PARTITION BY la_code, CHILD, period ORDER BY REVIEW) END AS prev_review
    FROM placed
),
flagged AS (
    SELECT
        s.*,
        s.in_period AND (s.ordinals_known OR s.seq <> 1) AS assessable,
        CASE
            WHEN s.ordinals_known AND s.seq = 1 THEN cb.cum - ca.cum <= 20
            WHEN s.ordinals_known AND s.seq = 2 THEN s.REVIEW <= add_months(s.prev_review, 3)
            ELSE s.REVIEW <= add_months(s.prev_review, 6)
        END AS due_met
    FROM sequenced AS s
    LEFT JOIN calendar AS ca ON ca.day = s.period_start
    LEFT JOIN calendar AS cb ON cb.day = s.REVIEW
)
SELECT
    la_code, CHILD, REVIEW, REVIEW_CODE, period, period_start, in_period, start_known,
    ordinals_known, seq, prev_review,
    CASE WHEN ordinals_known THEN seq END AS ordinal,
    COALESCE(assessable, FALSE) AS assessable,
    COALESCE(assessable AND due_met, FALSE) AS on_time
FROM flagged;

CREATE OR REPLACE TEMPORARY TABLE reviews_in_year AS
SELECT t.*
FROM timed_reviews AS t CROSS JOIN params AS prm
WHERE t.REVIEW BETWEEN prm.year_start AND prm.year_end;

-- Children looked after at 31 March: the period open then, its last review on or before
-- 31 March and whether the next review is overdue (timescales.reviews_overdue_at).
CREATE OR REPLACE TEMPORARY TABLE overdue_at_end AS
WITH open_period AS (
    SELECT p.*, ROW_NUMBER() OVER (PARTITION BY p.la_code, p.CHILD ORDER BY p.period DESC) AS k
    FROM periods AS p CROSS JOIN params AS prm
    WHERE p.period_start <= prm.year_end
      AND (p.period_end IS NULL OR p.period_end > prm.year_end)
),
last_review AS (
    SELECT
        t.la_code, t.CHILD, t.period, t.REVIEW AS last_review, t.ordinal AS last_ordinal,
        ROW_NUMBER() OVER (PARTITION BY t.la_code, t.CHILD, t.period ORDER BY t.REVIEW DESC) AS k
    FROM timed_reviews AS t CROSS JOIN params AS prm
    WHERE t.in_period AND t.REVIEW <= prm.year_end
)
SELECT
    o.la_code, o.CHILD, o.period, o.period_start, o.start_known, l.last_review,
    ce.cum - cs.cum AS wd_in_care,
    CASE
        WHEN l.last_review IS NULL THEN o.start_known AND ce.cum - cs.cum > 20
        WHEN l.last_ordinal = 1 THEN add_months(l.last_review, 3) < prm.year_end
        ELSE add_months(l.last_review, 6) < prm.year_end
    END AS overdue
FROM open_period AS o
CROSS JOIN params AS prm
LEFT JOIN last_review AS l
  ON l.la_code = o.la_code AND l.CHILD = o.CHILD AND l.period = o.period AND l.k = 1
LEFT JOIN calendar AS cs ON cs.day = o.period_start
LEFT JOIN calendar AS ce ON ce.day = prm.year_end
WHERE o.k = 1;
