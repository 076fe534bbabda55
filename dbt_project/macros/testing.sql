{#-
    The body of a reconciliation test: one row per check whose two totals
    disagree. `checks` is a list of dicts with
      metric    what is compared (a label),
      expected  a query returning one value, taken straight from staging,
      actual    a query returning the same value from a mart.
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
where expected_total != actual_total
{% endmacro %}
