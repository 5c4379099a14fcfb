-- Periods of care (ingest/periods.py, kpis/timescales.py assign_periods, periods_of_care), as
-- window functions. Short breaks (LS V3/V4) are dropped. A child's episodes, by DECOM, form one
-- period until an episode has RNE = 'S' or does not start on the previous episode's DEC. An
-- episode that starts before the latest DEC of the child's earlier episodes, or while one is
-- open, continues that period whatever its RNE (a child is never in two periods at once):
-- prev_end is that latest DEC, an open episode counting as 9999-12-31.
CREATE OR REPLACE TEMPORARY TABLE cla_episodes AS
WITH ep AS (
    SELECT
        la_code, CHILD, DECOM, DEC, RNE, REC, LS,
        MAX(COALESCE(DEC, DATE '9999-12-31')) OVER (
            PARTITION BY la_code, CHILD ORDER BY DECOM
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
        ROW_NUMBER() OVER (PARTITION BY la_code, CHILD ORDER BY DECOM) AS rn
    FROM episodes
    WHERE LS IS NULL OR LS NOT IN ('V3', 'V4')
),
numbered AS (
    SELECT
        ep.*,
        SUM(CASE WHEN rn = 1 OR (DECOM >= prev_end AND (RNE = 'S' OR DECOM <> prev_end))
                 THEN 1 ELSE 0 END)
            OVER (PARTITION BY la_code, CHILD ORDER BY DECOM
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS period
    FROM ep
)
-- period_end: the latest DEC of the period's episodes, NULL while any of them is open.
SELECT
    numbered.*,
    NULLIF(MAX(COALESCE(DEC, DATE '9999-12-31')) OVER (PARTITION BY la_code, CHILD, period),
           DATE '9999-12-31') AS period_end,
    ROW_NUMBER() OVER (PARTITION BY la_code, CHILD, period ORDER BY DECOM) AS k_in_period
FROM numbered;

-- One row per period: start (first DECOM), start_known (its first episode has RNE = 'S'),
-- period_end (the latest DEC of its episodes, NULL while any is open).
CREATE OR REPLACE TEMPORARY TABLE periods AS
SELECT
    la_code, CHILD, period,
    MAX(CASE WHEN k_in_period = 1 THEN DECOM END) AS period_start,
    MAX(CASE WHEN k_in_period = 1 AND RNE = 'S' THEN 1 ELSE 0 END) = 1 AS start_known,
    MAX(period_end) AS period_end
FROM cla_episodes
GROUP BY la_code, CHILD, period;

-- Short-break episodes (for dropping reviews that fall only inside one).
CREATE OR REPLACE TEMPORARY TABLE short_breaks AS
SELECT la_code, CHILD, DECOM, DEC FROM episodes WHERE LS IN ('V3', 'V4');
