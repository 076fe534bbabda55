{#- A ratio rounded to four decimals, null when the denominator is zero or
    null (a rate over nothing is unknown, not 0). -#}
{% macro impraise_safe_divide(numerator, denominator, precision=4) -%}
    {{ impraise_round(
        "cast(" ~ numerator ~ " as " ~ dbt.type_numeric() ~ ") / nullif(" ~ denominator ~ ", 0)",
        precision
    ) }}
{%- endmacro %}


{#- A decimal rounded to `precision` places, typed with that scale, so every
    warehouse returns the same value with the same representation (PostgreSQL's
    round() would otherwise return an unconstrained numeric, DuckDB's a double). -#}
{% macro impraise_round(expression, precision) -%}
    cast(round({{ expression }}, {{ precision }}) as numeric(18, {{ precision }}))
{%- endmacro %}


{#- Counts rows where a boolean condition holds. -#}
{% macro impraise_count_if(condition) -%}
    sum(case when {{ condition }} then 1 else 0 end)
{%- endmacro %}
