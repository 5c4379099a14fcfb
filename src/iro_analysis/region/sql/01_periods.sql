-- Periods of care (kpis/timescales.py assign_periods, periods_of_care), as window functions.
-- Short breaks (LS V3/V4) are dropped. A child's episodes, by DECOM, form one period until an
-- episode has RNE = 'S' or does not start on the previous episode's DEC.
CREATE OR REPLACE TEMPORARY TABLE cla_episodes AS
WITH ep AS (
    SELECT
        la_code, CHILD, DECOM, DEC, RNE, REC, LS,
        LAG(DEC) OVER (PARTITION BY la_code, CHILD ORDER BY DECOM) AS prev_dec,
        ROW_NUMBER() OVER (PARTITION BY la_code, CHILD ORDER BY DECOM) AS rn
    FROM episodes
    WHERE LS IS NULL OR LS NOT IN ('V3', 'V4')
)
SELECT
    ep.*,
    SUM(CASE WHEN rn = 1 OR RNE = 'S' OR prev_dec IS NULL OR DECOM <> prev_dec THEN 1 ELSE 0 END)
        OVER (PARTITION BY la_code, CHILD ORDER BY DECOM
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS period
FROM ep;

-- One row per period: start (first DECOM), start_known (its first episode has RNE = 'S'),
-- period_end (the last episode's DEC, NULL while open).
CREATE OR REPLACE TEMPORARY TABLE periods AS
WITH x AS (
    SELECT
        la_code, CHILD, period, DECOM, DEC, RNE,
        ROW_NUMBER() OVER (PARTITION BY la_code, CHILD, period ORDER BY DECOM) AS k,
        ROW_NUMBER() OVER (PARTITION BY la_code, CHILD, period ORDER BY DECOM DESC) AS k_last
    FROM cla_episodes
)
SELECT
    la_code, CHILD, period,
    MAX(CASE WHEN k = 1 THEN DECOM END) AS period_start,
    MAX(CASE WHEN k = 1 AND RNE = 'S' THEN 1 ELSE 0 END) = 1 AS start_known,
    MAX(CASE WHEN k_last = 1 THEN DEC END) AS period_end
FROM x
GROUP BY la_code, CHILD, period;

-- Short-break episodes (for dropping reviews that fall only inside one).
CREATE OR REPLACE TEMPORARY TABLE short_breaks AS
SELECT la_code, CHILD, DECOM, DEC FROM episodes WHERE LS IN ('V3', 'V4');
