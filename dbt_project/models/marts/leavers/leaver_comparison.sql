{#- Leavers against stayers, in aggregate: over each person's six months before
    leaving, or a stayer's latest six months (int_users__leaving_windows, window
    end excluded), the feedback they received per month, the share of their
    months with a manager in which their manager gave them feedback, and the
    share of the review tasks due to them that they completed. One row per
    cohort and group: the whole organisation, each department (home team,
    int_users__departments) and each tenure band. A group of fewer than
    `min_group_size` people is withheld (its head count too); where a cohort has
    exactly one withheld department (or band), its smallest shown one is withheld
    as well, so the withheld figures cannot be worked out as the whole minus the
    rest. -#}

with

windows as (

    select
        user_id,
        cohort,
        window_start_month,
        window_end_month,
        case
            when tenure_months < 12 then 'under 1 year'
            when tenure_months < 24 then '1-2 years'
            else '2 years or more'
        end as tenure_band
    from {{ ref('int_users__leaving_windows') }}

),

engagement as (

    select
        windows.user_id,
        count(*) as months_count,
        sum(user_months.feedback_received) as feedback_received,
        sum(user_months.review_tasks_due) as review_tasks_due,
        sum(user_months.review_tasks_completed) as review_tasks_completed
    from windows
    inner join {{ ref('user_engagement_monthly') }} as user_months
        on
            windows.user_id = user_months.user_id
            and windows.window_start_month <= user_months.month
            and windows.window_end_month > user_months.month
    group by windows.user_id

),

manager_months as (

    select
        windows.user_id,
        count(*) as managed_months_count,
        {{ impraise_count_if('coverage.received_manager_feedback') }} as covered_months_count
    from windows
    inner join {{ ref('user_manager_feedback_monthly') }} as coverage
        on
            windows.user_id = coverage.user_id
            and windows.window_start_month <= coverage.month
            and windows.window_end_month > coverage.month
    group by windows.user_id

),

people as (

    select
        windows.user_id,
        windows.cohort,
        windows.tenure_band,
        departments.department_name,
        engagement.months_count,
        engagement.feedback_received,
        engagement.review_tasks_due,
        engagement.review_tasks_completed,
        coalesce(manager_months.managed_months_count, 0) as managed_months_count,
        coalesce(manager_months.covered_months_count, 0) as covered_months_count
    from windows
    -- only people seen in at least one month of their window
    inner join engagement
        on windows.user_id = engagement.user_id
    left join manager_months
        on windows.user_id = manager_months.user_id
    left join {{ ref('int_users__departments') }} as departments
        on windows.user_id = departments.user_id

),

grouped as (

    {% for breakdown, column in [
        ('organisation', "'everyone'"),
        ('department', 'department_name'),
        ('tenure_band', 'tenure_band'),
    ] %}
        select
            cohort,
            '{{ breakdown }}' as breakdown,
            {{ column }} as group_name,
            count(*) as people_count,
            sum(months_count) as months_count,
            sum(feedback_received) as feedback_received,
            sum(managed_months_count) as managed_months_count,
            sum(covered_months_count) as covered_months_count,
            sum(review_tasks_due) as review_tasks_due,
            sum(review_tasks_completed) as review_tasks_completed
        from people
        group by
            {{ 'cohort' if breakdown == 'organisation' else 'cohort, ' ~ column }}
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}

),

small as (

    select
        *,
        {{ impraise_is_small_group('people_count') }} as is_small,
        sum(case when {{ impraise_is_small_group('people_count') }} then 1 else 0 end)
            over (partition by cohort, breakdown)
            as small_groups,
        row_number() over (
            partition by cohort, breakdown
            order by
                case when {{ impraise_is_small_group('people_count') }} then 1 else 0 end,
                people_count,
                group_name
        ) as rank_among_shown
    from grouped

),

-- the organisation's row is the sum of the groups: with one group withheld, the
-- smallest shown one is withheld too
floored as (

    select
        *,
        is_small
        or (breakdown != 'organisation' and small_groups = 1 and rank_among_shown = 1)
            as is_suppressed
    from small

)

select
    {{ impraise_surrogate_key(['cohort', 'breakdown', 'group_name']) }} as leaver_group_id,
    cohort,
    breakdown,
    group_name,
    case when not is_suppressed then people_count end as people_count,
    case when not is_suppressed then months_count end as months_count,
    case
        when not is_suppressed
            then {{ impraise_safe_divide('feedback_received', 'months_count', 2) }}
    end as feedback_received_per_month,
    case
        when not is_suppressed
            then {{ impraise_safe_divide('covered_months_count', 'managed_months_count') }}
    end as manager_coverage,
    case
        when not is_suppressed
            then {{ impraise_safe_divide('review_tasks_completed', 'review_tasks_due') }}
    end as review_completion_rate,
    is_suppressed
from floored
