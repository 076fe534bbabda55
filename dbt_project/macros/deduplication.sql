{#-
    The latest live version of every record in a staging CTE.

    dlt merges on `id`, so the raw table should hold each id once; staging dedupes
    anyway, because a replace-mode reload or a misconfigured pipeline could leave
    duplicates and every primary-key test downstream assumes none. The version
    kept is the one with the latest `updated_at`, then the latest `_dlt_load_id`
    (load ids are sortable Unix-time strings). Ranking happens before the
    soft-delete filter: a record whose latest version is deleted is gone, even
    if an older version was live.
-#}
{% macro impraise_latest_records(relation, key) -%}
    select ranked.*
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ key }}
                order by updated_at desc nulls last, _dlt_load_id desc nulls last
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where ranked.version_rank = 1
        and ranked._deleted_at is null
{%- endmacro %}
