{#-
    numerator / denominator rounded half away from zero to `precision` places
    (4 for rates), null when the denominator is zero or null: a rate over nothing
    is unknown, not 0.

    Rounding is done as floor(x * 10^p + 0.5) on the quotient rather than with
    round(): DuckDB divides decimals in floating point, where a quotient lying
    exactly on a rounding boundary (31.555) can come out as 31.554999... and round
    down, while PostgreSQL's exact numeric rounds up. Scaled first, the boundary
    case is an exact .5 in both, so every warehouse returns the same figure. Meant
    for non-negative quantities (counts, durations, ratings).
-#}
{% macro impraise_safe_divide(numerator, denominator, precision=4) -%}
    {%- set scale = 10 ** precision -%}
    {{ impraise_decimal(
        "floor(cast(" ~ numerator ~ " as " ~ dbt.type_numeric() ~ ") * " ~ scale
        ~ " / nullif(" ~ denominator ~ ", 0) + 0.5) / " ~ scale,
        precision
    ) }}
{%- endmacro %}


{#- A decimal typed with `precision` places, so every warehouse returns the same
    value with the same representation (PostgreSQL would otherwise return an
    unconstrained numeric, DuckDB a double). -#}
{% macro impraise_decimal(expression, precision) -%}
    cast({{ expression }} as numeric(18, {{ precision }}))
{%- endmacro %}


{#- Counts rows where a boolean condition holds. -#}
{% macro impraise_count_if(condition) -%}
    sum(case when {{ condition }} then 1 else 0 end)
{%- endmacro %}


{#- Counts distinct values of `expression` over the rows where `condition` holds. -#}
{% macro impraise_count_distinct_if(condition, expression) -%}
    count(distinct case when {{ condition }} then {{ expression }} end)
{%- endmacro %}


{#- The mean of `expression` over the rows where it is set, with `precision`
    places (impraise_safe_divide's rounding); null when none is. -#}
{% macro impraise_average(expression, precision) -%}
    {{ impraise_safe_divide('sum(' ~ expression ~ ')', 'count(' ~ expression ~ ')', precision) }}
{%- endmacro %}


{#- `coalesce(<alias>.<column>, 0) as <column>` for each of `columns`: the counts
    of a left-joined aggregate, zero where it has no row. -#}
{% macro impraise_zero_if_missing(alias, columns) -%}
    {%- for column in columns %}
    coalesce({{ alias }}.{{ column }}, 0) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
