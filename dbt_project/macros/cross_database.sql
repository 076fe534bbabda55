{#-
    The few expressions dbt-core has no cross-database macro for. Each has a
    default that PostgreSQL and DuckDB share, and the Snowflake / BigQuery
    spelling, so the project stays portable.
-#}

{#- The UTC wall-clock time of an instant (timestamp with time zone), for
    `cast(... as dbt.type_timestamp())`: month boundaries are then UTC months,
    whatever the session's time zone. -#}
{% macro impraise_utc(column) %}
    {{ return(adapter.dispatch('impraise_utc')(column)) }}
{% endmacro %}

{% macro default__impraise_utc(column) -%}
    {{ column }} at time zone 'UTC'
{%- endmacro %}

{% macro snowflake__impraise_utc(column) -%}
    convert_timezone('UTC', {{ column }})
{%- endmacro %}

{% macro bigquery__impraise_utc(column) -%}
    {#- BigQuery TIMESTAMPs are instants in UTC already -#}
    {{ column }}
{%- endmacro %}

{% macro spark__impraise_utc(column) -%}
    {#- Spark has no `at time zone`; its TIMESTAMPs are instants shown in the session's
        time zone, which the profile sets to UTC -#}
    {{ column }}
{%- endmacro %}


{#- Text that is a whole number (sign, digits, blanks around), as a bigint; any
    other text as null, the same on every warehouse. (DuckDB's try_cast would read
    '4.5' as 5 and '1e2' as 100; PostgreSQL's cast fails the query on 'n/a'.) Used
    where a number is known to drift to text. -#}
{% macro impraise_whole_number(text) %}
    {{ return(adapter.dispatch('impraise_whole_number')(text)) }}
{% endmacro %}

{% macro default__impraise_whole_number(text) -%}
    case when trim({{ text }}) ~ '^[+-]?[0-9]{1,18}$' then cast(trim({{ text }}) as {{ dbt.type_bigint() }}) end
{%- endmacro %}

{% macro snowflake__impraise_whole_number(text) -%}
    case when regexp_like(trim({{ text }}), '^[+-]?[0-9]{1,18}$') then cast(trim({{ text }}) as {{ dbt.type_bigint() }}) end
{%- endmacro %}

{#- Spark has no `~` operator: `rlike` -#}
{% macro spark__impraise_whole_number(text) -%}
    case when trim({{ text }}) rlike '^[+-]?[0-9]{1,18}$' then cast(trim({{ text }}) as {{ dbt.type_bigint() }}) end
{%- endmacro %}

{% macro bigquery__impraise_whole_number(text) -%}
    case when regexp_contains(trim({{ text }}), r'^[+-]?[0-9]{1,18}$') then cast(trim({{ text }}) as {{ dbt.type_bigint() }}) end
{%- endmacro %}


{#- The non-null values of `column` in a group, sorted and joined with
    `delimiter` (text); null for a group with none. -#}
{% macro impraise_sorted_list(column, delimiter) %}
    {{ return(adapter.dispatch('impraise_sorted_list')(column, delimiter)) }}
{% endmacro %}

{% macro default__impraise_sorted_list(column, delimiter) -%}
    {{ dbt.listagg(column, delimiter, 'order by ' ~ column) }}
{%- endmacro %}

{#- dbt-spark's listagg drops its `order by` (it warns "order_by_clause is not
    supported"): collect, then sort -#}
{% macro spark__impraise_sorted_list(column, delimiter) -%}
    nullif(array_join(array_sort(collect_list({{ column }})), {{ delimiter }}), '')
{%- endmacro %}
