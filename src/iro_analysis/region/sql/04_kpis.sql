-- The KPI rows per council and pooled ("region"), columns of kpis.csv. A KPI is produced
-- for a council only when every input it needs was supplied in the year's own folder
-- (kpis/engine.py). Percentages and ratios: numerator / denominator x per, rounded half up
-- to 1 decimal place with exact integer arithmetic; blank (NULL) when the denominator is 0.
WITH prm AS (SELECT * FROM params),
councils AS (SELECT DISTINCT la_code FROM supplied),
available AS (
    SELECT c.la_code, ki.kpi_id
    FROM councils AS c
    CROSS JOIN kpi_inputs AS ki
    CROSS JOIN prm
    LEFT JOIN supplied AS s
      ON s.la_code = c.la_code AND s.year = prm.year AND s.input = ki.input AND s.present
    GROUP BY c.la_code, ki.kpi_id
    HAVING COUNT(*) = COUNT(s.input)
),
per_council AS (
    SELECT
        a.la_code, a.kpi_id, u.unit, u.per, u.position,
        COALESCE(k.numerator, 0) AS n,
        COALESCE(k.denominator, 0) AS d
    FROM available AS a
    JOIN kpi_units AS u ON u.kpi_id = a.kpi_id
    LEFT JOIN kpi_counts AS k ON k.la_code = a.la_code AND k.kpi_id = a.kpi_id
),
pooled AS (
    SELECT prm.pooled_code AS la_code, kpi_id, unit, per, position, SUM(n) AS n, SUM(d) AS d
    FROM per_council CROSS JOIN prm
    GROUP BY prm.pooled_code, kpi_id, unit, per, position
),
rows_ AS (
    SELECT la_code, kpi_id, unit, per, position, n, d, 0 AS pooled_last FROM per_council
    UNION ALL
    SELECT la_code, kpi_id, unit, per, position, n, d, 1 AS pooled_last FROM pooled
),
scaled AS (
    SELECT r.*, 20 * r.per * r.n + r.d AS twice_tenths FROM rows_ AS r
)
SELECT
    s.la_code,
    s.kpi_id,
    prm.year,
    CASE
        WHEN s.unit = 'count' THEN CAST(s.n AS DOUBLE)
        WHEN s.d = 0 THEN NULL
        ELSE ((s.twice_tenths - MOD(s.twice_tenths, 2 * s.d)) / (2 * s.d)) / 10.0
    END AS value,
    CASE WHEN s.unit = 'count' THEN NULL ELSE s.n END AS numerator,
    CASE WHEN s.unit = 'count' THEN NULL ELSE s.d END AS denominator
FROM scaled AS s
CROSS JOIN prm
ORDER BY s.pooled_last, s.la_code, s.position;
