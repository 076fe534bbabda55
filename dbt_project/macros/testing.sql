{#-
    The body of a reconciliation test: one row per check whose two totals
    disagree. `checks` is a list of dicts with
      metric    what is compared (a label),
      expected  a query returning one value, derived independently of the mart,
      actual    a query returning the same value from a mart.
    Null-safe: a total that is null (a sum over no rows) disagrees with any
    number, so an empty input cannot pass for a reconciled one.
    Usable as a whole test, or as its final select after the test's own CTEs.
-#}
{% macro impraise_reconcile(checks) %}
select
    metric,
    expected_total,
    actual_total
from (
    {%- for check in checks %}
    select
        '{{ check.metric }}' as metric,
        ({{ check.expected }}) as expected_total,
        ({{ check.actual }}) as actual_total
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
) as checks
where expected_total is distinct from actual_total
{% endmacro %}


{#-
    A raw table's rows as a subquery of `columns` (text), straight from what the
    pipeline loaded, so a reconciliation against them shares no logic with the
    staging models. `live_only` keeps the rows not marked deleted (bucket tables;
    child tables have no such mark). A table never loaded (a bucket the token may
    not read) gives no rows, as staging does.
-#}
{% macro impraise_raw_rows(table_name, columns, live_only=true) %}
    {%- set raw = source('impraise', table_name) -%}
    {%- set relation = load_relation(raw) if execute else raw -%}
    {%- if relation is none -%}
        (
            select
                {%- for column in columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
                {%- endfor %}
            where 1 = 0
        )
    {%- else -%}
        (
            select
                {%- for column in columns %}
                cast({{ column }} as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
                {%- endfor %}
            from {{ relation }}
            {%- if live_only %}
            where _deleted_at is null
            {%- endif %}
        )
    {%- endif -%}
{% endmacro %}
