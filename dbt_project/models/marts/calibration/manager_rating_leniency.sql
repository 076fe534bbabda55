{#- Rater leniency: how each manager's ratings of their reviewees in a review sit
    against the organisation's mean of manager ratings in the same review. A
    reviewee counts by the mean of the ratings their manager gave them, so a
    manager's figure is the mean over reviewees, its spread their standard
    deviation, and its interval deviation ± 1.96 standard errors (normal
    approximation). A manager shows only with at least `min_group_size`
    reviewees; the others' reviewees are pooled by the manager's department
    (int_users__departments), and a pool still below the floor is withheld. -#}

with

manager_answers as (

    select
        answers.review_id,
        answers.rater_key as manager_id,
        participants.recipient_id,
        answers.rating
    from {{ ref('int_review_answers__with_raters') }} as answers
    inner join {{ ref('stg_impraise__review_participants') }} as participants
        on answers.review_participant_id = participants.review_participant_id
    where
        answers.rating is not null
        and answers.relationship = 'manager'

),

reviewees as (

    select
        review_id,
        manager_id,
        recipient_id,
        avg(cast(rating as {{ dbt.type_float() }})) as reviewee_rating
    from manager_answers
    group by
        review_id,
        manager_id,
        recipient_id

),

organisation as (

    select
        review_id,
        avg(reviewee_rating) as organisation_mean_rating,
        count(*) as organisation_reviewees_count
    from reviewees
    group by review_id

),

manager_sizes as (

    select
        review_id,
        manager_id,
        count(*) as reviewees_count
    from reviewees
    group by
        review_id,
        manager_id

),

-- a manager's own row, or their department's pool when they have too few reviewees
grouped as (

    select
        reviewees.review_id,
        reviewees.manager_id as rater_id,
        reviewees.reviewee_rating,
        case
            when {{ impraise_is_small_group('manager_sizes.reviewees_count') }}
                then 'department'
            else 'manager'
        end as group_type,
        case
            when not {{ impraise_is_small_group('manager_sizes.reviewees_count') }}
                then reviewees.manager_id
        end as manager_id,
        departments.department_team_id,
        departments.department_name
    from reviewees
    inner join manager_sizes
        on
            reviewees.review_id = manager_sizes.review_id
            and reviewees.manager_id = manager_sizes.manager_id
    left join {{ ref('int_users__departments') }} as departments
        on reviewees.manager_id = departments.user_id

),

groups as (

    select
        review_id,
        group_type,
        manager_id,
        department_team_id,
        max(department_name) as department_name,
        count(*) as reviewees_count,
        count(distinct rater_id) as managers_count,
        avg(reviewee_rating) as mean_rating,
        stddev_samp(reviewee_rating) as rating_sd
    from grouped
    group by
        review_id,
        group_type,
        manager_id,
        department_team_id

),

reviews as (

    select
        review_id,
        review_name,
        review_type,
        end_at
    from {{ ref('stg_impraise__reviews') }}

),

users as (

    select
        user_id,
        user_name
    from {{ ref('stg_impraise__users') }}

),

measured as (

    select
        groups.review_id,
        groups.group_type,
        groups.manager_id,
        groups.department_team_id,
        groups.department_name,
        groups.reviewees_count,
        groups.managers_count,
        groups.mean_rating,
        groups.rating_sd,
        organisation.organisation_mean_rating,
        organisation.organisation_reviewees_count,
        groups.mean_rating - organisation.organisation_mean_rating as deviation,
        1.96 * groups.rating_sd / sqrt(groups.reviewees_count) as margin,
        {{ impraise_is_small_group('groups.reviewees_count') }} as is_suppressed
    from groups
    inner join organisation
        on groups.review_id = organisation.review_id

)

select
    {{ impraise_surrogate_key([
        'measured.review_id', 'measured.group_type', 'measured.manager_id',
        'measured.department_team_id'
    ]) }} as leniency_group_id,
    measured.review_id,
    reviews.review_name,
    reviews.review_type,
    reviews.end_at as review_end_at,
    measured.group_type,
    measured.manager_id,
    users.user_name as manager_name,
    measured.department_team_id,
    measured.department_name,
    measured.reviewees_count,
    measured.managers_count,
    {% for column in ['mean_rating', 'rating_sd', 'deviation'] %}
        {{ impraise_decimal(
            impraise_suppress_small_group('measured.' ~ column, 'measured.reviewees_count'), 4
        ) }} as {{ column }},
    {% endfor %}
    {{ impraise_decimal(
        impraise_suppress_small_group(
            'measured.deviation - measured.margin', 'measured.reviewees_count'
        ), 4
    ) }} as deviation_low,
    {{ impraise_decimal(
        impraise_suppress_small_group(
            'measured.deviation + measured.margin', 'measured.reviewees_count'
        ), 4
    ) }} as deviation_high,
    {{ impraise_decimal(
        impraise_suppress_small_group(
            'measured.organisation_mean_rating', 'measured.organisation_reviewees_count'
        ), 4
    ) }} as organisation_mean_rating,
    measured.is_suppressed
from measured
left join reviews
    on measured.review_id = reviews.review_id
left join users
    on measured.manager_id = users.user_id
