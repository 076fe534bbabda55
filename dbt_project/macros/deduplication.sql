{#-
    The latest live version of every record in a staging CTE.

    dlt merges on `id`, so the raw table should hold each id once; staging dedupes
    anyway, because a replace-mode reload or a misconfigured pipeline could leave
    duplicates and every primary-key test downstream assumes none. The version
    kept is the one with the latest `updated_at`, then the latest `_dlt_load_id`
    (load ids are sortable Unix-time strings). Ranking happens before the
    soft-delete filter: a record whose latest version is deleted is gone, even
    if an older version was live.

    `relation` is a CTE of the staging model. Declare it
    `as {{ impraise_inline_cte() }} (`: on DuckDB it is read more than once.
-#}
{% macro impraise_latest_records(relation, key) -%}
    {{ return(adapter.dispatch('impraise_latest_records')(relation, key)) }}
{%- endmacro %}

{% macro default__impraise_latest_records(relation, key) -%}
    {{ impraise_ranked_latest_records(relation, key) }}
{%- endmacro %}

{#- DuckDB: the same rows, cheaper. A window over the whole table carries every
    column of every row through the sort (at millions of records it spills
    gigabytes and was most of a staging model's time), yet nearly every key occurs
    once. So only keys that occur more than once are ranked; a key that occurs
    once is its own latest version. Keys compare null-safely, as the window's
    partitions do. -#}
{% macro duckdb__impraise_latest_records(relation, key) -%}
    {%- set is_repeated -%}
        exists (
            select 1
            from repeated_keys
            where repeated_keys.{{ key }} is not distinct from {{ relation }}.{{ key }}
        )
    {%- endset -%}
    with repeated_keys as (
        select {{ key }}
        from {{ relation }}
        group by {{ key }}
        having count(*) > 1
    )

    select
        {{ relation }}.*,
        1 as version_rank
    from {{ relation }}
    where
        {{ relation }}._deleted_at is null
        and not {{ is_repeated }}

    union all

    {{ impraise_ranked_latest_records(relation, key, where=is_repeated) }}
{%- endmacro %}

{#- Rank every version of a key (of the rows matching `where`), keep the latest
    if it is live. -#}
{% macro impraise_ranked_latest_records(relation, key, where=none) -%}
    select ranked.*
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ key }}
                order by updated_at desc nulls last, _dlt_load_id desc nulls last
            ) as version_rank
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked
    where ranked.version_rank = 1
        and ranked._deleted_at is null
{%- endmacro %}


{#- The keyword that keeps a CTE read more than once from being materialised:
    DuckDB would otherwise write all of a staging model's raw rows to a buffer
    before reading them (`with source as {{ impraise_inline_cte() }} (`). Other
    warehouses inline or choose for themselves. -#}
{% macro impraise_inline_cte() -%}
    {{ return(adapter.dispatch('impraise_inline_cte')()) }}
{%- endmacro %}

{% macro default__impraise_inline_cte() -%}
{%- endmacro %}

{% macro duckdb__impraise_inline_cte() -%}
    not materialized
{%- endmacro %}
