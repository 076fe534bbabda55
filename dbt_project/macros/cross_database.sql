{#-
    The few expressions dbt-core has no cross-database macro for. Each has a
    default that PostgreSQL and DuckDB share, and the Snowflake / BigQuery
    spelling, so the project stays portable.
-#}

{#- Timestamps: the raw tables hold instants (timestamp with time zone).
    Staging turns every instant into a UTC wall-clock timestamp without time zone,
    so that month boundaries are UTC months whatever the session time zone. -#}
{% macro impraise_to_utc(expression) %}
    {{ return(adapter.dispatch('impraise_to_utc')(expression)) }}
{% endmacro %}

{% macro default__impraise_to_utc(expression) -%}
    cast(({{ expression }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro snowflake__impraise_to_utc(expression) -%}
    convert_timezone('UTC', {{ expression }})::timestamp_ntz
{%- endmacro %}

{% macro bigquery__impraise_to_utc(expression) -%}
    {#- BigQuery TIMESTAMPs are instants in UTC already -#}
    {{ expression }}
{%- endmacro %}


{#- Safe casts of text (variant columns) to a kind of impraise_field, or to
    'timestamp_tz': a value that does not parse becomes null instead of failing
    the build. dbt.safe_cast is safe on Snowflake and BigQuery but a plain cast on
    DuckDB (which has try_cast) and on PostgreSQL (which checks the text's shape
    first). -#}
{% macro impraise_safe_cast(expression, kind) %}
    {{ return(adapter.dispatch('impraise_safe_cast')(expression, kind)) }}
{% endmacro %}

{% macro default__impraise_safe_cast(expression, kind) -%}
    {{ dbt.safe_cast(expression, impraise_cast_type(kind)) }}
{%- endmacro %}

{% macro duckdb__impraise_safe_cast(expression, kind) -%}
    try_cast({{ expression }} as {{ impraise_cast_type(kind) }})
{%- endmacro %}

{% macro postgres__impraise_safe_cast(expression, kind) -%}
    {%- set text = "trim(cast(" ~ expression ~ " as text))" -%}
    {%- if kind == 'int' -%}
        case when {{ text }} ~ '^[+-]?[0-9]{1,18}$' then cast({{ text }} as bigint) end
    {%- elif kind == 'numeric' -%}
        case when {{ text }} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$' then cast({{ text }} as numeric) end
    {%- elif kind == 'bool' -%}
        case
            when lower({{ text }}) in ('true', 't', 'yes', 'y', '1') then true
            when lower({{ text }}) in ('false', 'f', 'no', 'n', '0') then false
        end
    {%- elif kind == 'timestamp_tz' -%}
        case
            when {{ text }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?(Z|[+-][0-9:]+)?$'
                then cast({{ text }} as timestamp with time zone)
        end
    {%- else -%}
        cast({{ expression }} as {{ impraise_cast_type(kind) }})
    {%- endif -%}
{%- endmacro %}

{% macro impraise_cast_type(kind) %}
    {%- if kind == 'timestamp_tz' -%}
        {{ return(impraise_type_timestamp_tz()) }}
    {%- else -%}
        {{ return(impraise_type(kind)) }}
    {%- endif -%}
{% endmacro %}


{% macro impraise_type_timestamp_tz() %}
    {{ return(adapter.dispatch('impraise_type_timestamp_tz')()) }}
{% endmacro %}

{% macro default__impraise_type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro snowflake__impraise_type_timestamp_tz() -%}
    timestamp_tz
{%- endmacro %}

{% macro bigquery__impraise_type_timestamp_tz() -%}
    timestamp
{%- endmacro %}


{#- `select <columns>, <entry> as <entry_name> from <relation>`: one row per entry
    of the `delimiter`-separated text column `list_column`, next to `columns` (a
    list of names) of the row it came from. Expanding the list and joining on the
    entry is an equality join; matching entries with position() or LIKE against
    every candidate would be a nested loop over rows x candidates. -#}
{% macro impraise_delimited_entries(relation, columns, list_column, delimiter, entry_name) -%}
    {%- set entry, lateral = adapter.dispatch('impraise_split_entries')(
        'listed.' ~ list_column, delimiter
    ) -%}
    select
        {%- for column in columns %}
        listed.{{ column }},
        {%- endfor %}
        {{ entry }} as {{ entry_name }}
    from {{ relation }} as listed{{ lateral }}
{%- endmacro %}

{#- (entry expression, what to add to the FROM clause) that split `text` into
    one row per entry -#}
{% macro default__impraise_split_entries(text, delimiter) %}
    {{ return(['unnest(string_to_array(' ~ text ~ ', ' ~ delimiter ~ '))', '']) }}
{% endmacro %}

{% macro snowflake__impraise_split_entries(text, delimiter) %}
    {{ return([
        'cast(entries.value as ' ~ dbt.type_string() ~ ')',
        ', lateral split_to_table(' ~ text ~ ', ' ~ delimiter ~ ') as entries',
    ]) }}
{% endmacro %}

{% macro bigquery__impraise_split_entries(text, delimiter) %}
    {{ return(['entry', ' cross join unnest(split(' ~ text ~ ', ' ~ delimiter ~ ')) as entry']) }}
{% endmacro %}
