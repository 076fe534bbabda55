{#- The calendar month of a UTC timestamp, as a date (first day of the month). -#}
{% macro impraise_month(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', timestamp_expression) }} as date)
{%- endmacro %}


{#-
    Whether `timestamp_expression` falls inside a user-history attribution window
    (`attribution_from` / `attribution_to` on int_users__versions and
    int_users__team_membership_history): half-open [from, to), where a null bound
    is open. See the doc block `attribution_windows`.
-#}
{% macro impraise_in_window(alias, timestamp_expression) -%}
    ({{ alias }}.attribution_from is null or {{ timestamp_expression }} >= {{ alias }}.attribution_from)
    and ({{ alias }}.attribution_to is null or {{ timestamp_expression }} < {{ alias }}.attribution_to)
{%- endmacro %}


{#- Whether a window overlaps the half-open interval [start, end). -#}
{% macro impraise_window_overlaps(alias, start_expression, end_expression) -%}
    ({{ alias }}.attribution_from is null or {{ alias }}.attribution_from < {{ end_expression }})
    and ({{ alias }}.attribution_to is null or {{ alias }}.attribution_to > {{ start_expression }})
{%- endmacro %}
