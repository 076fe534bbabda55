{#- A ratio rounded to four decimals, null when the denominator is zero or
    null (a rate over nothing is unknown, not 0). -#}
{% macro impraise_safe_divide(numerator, denominator, precision=4) %}
    round(
        cast({{ numerator }} as {{ dbt.type_numeric() }})
        / nullif({{ denominator }}, 0),
        {{ precision }}
    )
{% endmacro %}


{#- Counts rows where a boolean condition holds. -#}
{% macro impraise_count_if(condition) %}
    sum(case when {{ condition }} then 1 else 0 end)
{% endmacro %}
